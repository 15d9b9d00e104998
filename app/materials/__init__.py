"""Materials of a case (湘民发〔2022〕57号 二(二)): the checklist, uploads, the printed form."""
