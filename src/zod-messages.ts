import { z } from 'zod';

/**
 * Messages people can act on: a missing field says it is required, instead of zod's
 * "expected string, received undefined". Imported by every module that declares input schemas.
 */
z.config({
  customError: (issue) => {
    if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
    if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
    return undefined;
  },
});
