/**
 * The journey's one wake-up timer (workflow code). The main loop wakes for every message that may change
 * what is due, and most change nothing about when it must wake next: then the timer already running is kept,
 * instead of cancelled and started again (two history events and two commands saved each time). A wake-up
 * time that did change cancels the old timer and starts one for the new time.
 */
import { CancellationScope, condition, sleep } from '@temporalio/workflow';

interface ArmedTimer {
  at: number;
  fired: boolean;
  scope: CancellationScope;
}

export interface WakeTimer {
  /** Until `at` (for ever when undefined), or until `woken()` says something happened. */
  wait(at: number | undefined, woken: () => boolean): Promise<void>;
}

export function wakeTimer(): WakeTimer {
  let armed: ArmedTimer | undefined;

  function arm(at: number): ArmedTimer {
    const timer: ArmedTimer = { at, fired: false, scope: new CancellationScope() };
    timer.scope
      .run(() => sleep(Math.max(at - Date.now(), 1)))
      .then(
        () => (timer.fired = true),
        () => undefined, // cancelled: a newer wake-up time replaced it
      );
    return timer;
  }

  return {
    async wait(at, woken) {
      if (armed && (armed.fired || armed.at !== at)) {
        if (!armed.fired) armed.scope.cancel();
        armed = undefined;
      }
      if (at !== undefined) armed ??= arm(at);
      const timer = armed;
      await condition(() => woken() || timer?.fired === true);
    },
  };
}
