"""Outbound dialling in the core (issue 4, C5), by concept:

- campaigns: a running campaign's lifecycle in the core (run, halt, contacts fed and
  blocked, the campaign forgotten once halted and idle);
- pacer: after every input, how many calls each campaign dials now and for whom
  (cti/domain/predictive.py decides the number, cti/domain/abandon_window.py keeps the law);
- dialing: a dial's lifecycle from the Originate to its attempt (cti/domain/dial.py's table);
- reservation: whether an agent waits for one outbound call, read from the agent itself;
- preview: the agent's own dial (P25);
- measure: talk and wrap-up of the campaigns' agents feed their pacing measurements.

Rule 5 of cti/domain/acd.py: an outbound call's channel is a dial until it is gone.
"""
