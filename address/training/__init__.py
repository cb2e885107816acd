"""How the shipped models are trained; never imported at run time."""
