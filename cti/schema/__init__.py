"""The shell's side of "one declaration per data shape": everything derived from the core's
configuration dataclasses.

The core's frozen dataclasses (cti/domain/config.py, campaign.py, pacing.py) are the one
declaration of every configuration shape: field names, types, defaults, and per-field
meaning and bounds as standard-library metadata (cti/domain/setting.py). They stay pure,
so nothing here is imported by the core; this package reads them with `dataclasses.fields`
and `typing.get_type_hints` and derives:

- model.py: pydantic models (validation of JSON, the OpenAPI schemas) and the way back
  from a validated model to the core's value;
- plain.py: a value as plain JSON data (API answers, stored documents, the YAML export);
- cells.py: readers of YAML values and CSV cells by declared type (import, command line);
- refusal.py: pydantic's errors as the API's, naming the field.

Why derive from the dataclasses rather than declare pydantic models and convert: the
core must route by its own values and stay standard-library only (import-linter), so the
dataclasses have to exist anyway; a second, pydantic, declaration would be the very
duplication this package removes. pydantic's own support for stdlib dataclasses cannot
carry the metadata (descriptions, bounds) into schemas, nor leave the key out of a body
(the id is in the URL), so the models are built with `create_model`, once per shape.

Rule 1: bounds are checked by the core (`validate()`, SettingError: 422 at the API, a
line's reason in an import), types and shapes here (400 at the API): one message for one
rule wherever the value came from. The schemas show the bounds too.
Rule 2: in a settings body every field but the required ones may be left out or be null,
which both mean the default; `updated(base, model)` applies only what was given.
"""
