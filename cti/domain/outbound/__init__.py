"""Outbound dialling in the core (issue 4, C5; issue 12), by concept.

Values and rules:
- campaign: a campaign's configuration (modes, window, retries, seat targets);
- campaign_status: its status as a table, and the rules of a start;
- contact, contact_rows: a contact, its lifecycle table, the checks before a dial; the CSV;
- attempt: one dial as it ended; outbound_records: what the history stores of dialling;
- dial: a dial in flight, its lifecycle table, the live part of a running campaign;
- pacing (modes, settings), abandon_window (the law's window), predictive (the model),
  pacing_stats (what calls measured);
- seats: an outbound seat's day against the P16 targets.

Handlers of `decide`:
- running: a running campaign's life in the core (run, halt, feed, do-not-call, tally);
- pacer: after every input, how many calls each campaign dials now and for whom;
- dialing: a dial's life from the Originate to its attempt;
- reservation: whether an agent waits for one outbound call, read from the agent itself;
- preview: the agent's own dial (P25);
- measure: talk and wrap-up of the campaigns' agents feed their pacing measurements.

Rule 5 of cti/domain/acd.py: an outbound call's channel is a dial until it is gone.
"""
