/** The bare function bench part (f) compares every unit with: functions-framework and one HTTP handler. */
import * as ff from '@google-cloud/functions-framework';

ff.http('bare', (_req, res) => {
  res.status(200).json({ ok: true });
});
