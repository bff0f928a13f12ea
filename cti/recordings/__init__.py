"""Call recordings on disk: their files, their length, their retention (issue 16, P11)."""
