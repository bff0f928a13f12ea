"""`cti demo`: a lab Asterisk, the server, SIPp agents, callers and customers."""
