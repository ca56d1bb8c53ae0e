"""Reading NICE technology appraisals from nice.org.uk (issue 7). No Flask, no database.

- ``references``: what a user pastes -> :class:`NiceReference`
- ``parse``: NICE HTML/JSON -> frozen dataclasses (pure)
- ``classify``: is an appraisal title about cancer, and why
"""
