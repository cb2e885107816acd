"""Pure parsing: text → labelled components (CRF + gazetteer); compiled/ is the fast kernel."""
