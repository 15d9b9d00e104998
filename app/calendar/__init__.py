"""Mainland-China working-day calendar (with 调休 make-up working weekends) and deadline rules.

``service`` answers "is this a working day" from an operator override file and ``chinesecalendar``,
and fails loudly (``UnknownCalendarYear``) for a year neither knows — never Monday to Friday.
``deadlines`` turns a catalogue deadline rule and a clock start into a due time (SPEC §4,
湘民发〔2022〕57号 二(四), 民法典 第201、203条). ``cli`` holds the ``flask calendar`` commands.
"""
