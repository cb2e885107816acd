"""Pure text work on addresses: normalize, format, extract, match, the standard form, codes."""
