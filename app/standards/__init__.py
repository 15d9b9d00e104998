"""National-standard code tables and checks: GB 11643 ID numbers, GB/T 2260 divisions,
GB/T 2261.1 genders, GB/T 3304 ethnicities, GB/T 4761 family relationships."""
