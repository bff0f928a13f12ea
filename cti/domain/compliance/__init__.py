"""Compliance rules as data (issue 16): the rulebook, schedules and the evaluators that
turn records into findings."""
