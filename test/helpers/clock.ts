/** A clock tests move by hand: time is an input. */
export class TestClock {
  constructor(public nowMs = Date.now()) {}
  now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}
