"""Supervision of the legal deadlines (监督考核, 湘民发〔2022〕57号 四(三)) and 好差评.

``alerts``: operator alerts (the working-day calendar lacking a year). ``sla``: the scheduled
scan that reminds departments, marks matters overdue and alerts supervisors. ``ratings``: the
family's 好差评 and the rectification items bad ratings open. ``service``: what supervisors see —
figures per department and county, the overdue list, CSV exports.
"""
