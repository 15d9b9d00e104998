// GB 11643-1999 citizen ID numbers for FICTIONAL sandbox people (the clerk page's 示例 button
// and the browser tests): ISO 7064 MOD 11-2 check character. Mirrors mp_client_stub/idnumber.py.

export const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

export function checkChar(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** division "430104", birth "19480312", serial "21" + sex digit (odd = 男) → 18 characters. */
export function make(division, birth, serial3) {
  const first17 = `${division}${birth}${serial3}`;
  return first17 + checkChar(first17);
}

/** A fresh number: the API refuses a second open case for the same deceased. */
export function random(division, birth, { male }) {
  const serial = String(Math.floor(Math.random() * 100)).padStart(2, "0");
  const sexDigits = male ? [1, 3, 5, 7, 9] : [0, 2, 4, 6, 8];
  return make(division, birth, serial + sexDigits[Math.floor(Math.random() * 5)]);
}
