"""The `cti` command and its subcommands (serve, admin, campaign, dnc, lab, demo)."""
