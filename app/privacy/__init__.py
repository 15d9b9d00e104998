"""Private data (SPEC §9, issue 6): field-level encryption, blind indexes, reveal, audit, export,
retention. PIPL Art. 28 (sensitive personal information), 49 (a deceased's data and the near
relatives), 51 (security measures); GB/T 35273; 等保 2.0 level 3."""
