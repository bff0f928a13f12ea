"""The auditor: compliance rules judged over records (issue 16)."""
