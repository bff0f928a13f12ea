"""The dialer's shell: plain I/O between the core's campaigns and the campaign store."""
