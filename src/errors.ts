/** Bad input from something the user gave (a file, a flag, a message): the CLI exits 2 on these. */
export class InputError extends Error {
  override name = 'InputError';
}
