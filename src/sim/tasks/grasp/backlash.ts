/**
 * Backlash as play in each arm joint's transmission, engine-agnostic: the target the motor servoes
 * to (the transmission's side) follows the commanded target only once the command leaves a band of
 * ±play/2 around it, so a reversal moves nothing until the play is taken up.
 */
export function takeUpPlay(commanded: Float64Array, held: number[], play: readonly number[]): void {
  for (let i = 0; i < held.length; i++) {
    const half = play[i] / 2;
    if (commanded[i] > held[i] + half) held[i] = commanded[i] - half;
    else if (commanded[i] < held[i] - half) held[i] = commanded[i] + half;
    commanded[i] = held[i];
  }
}
