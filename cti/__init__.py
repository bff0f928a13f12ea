"""ACD and CTI server for Asterisk."""
