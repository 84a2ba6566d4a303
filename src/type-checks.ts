/** True when each type is assignable to the other: how a zod schema proves it accepts exactly a contract's type. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
