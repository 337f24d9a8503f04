// node_work.js - the node workload of `make bench` (bench/wl_node.sh).
//
//   node bench/node_work.js [ITERATIONS]
//
// A fixed amount of deliberately varied work, so that much of the engine's
// and node's machine code runs, not one hot loop: every iteration compiles
// freshly generated source (parser, bytecode generator, interpreter,
// baseline and optimizing compilers, deoptimization), runs it through many
// object shapes (inline caches), and goes through JSON, RegExp, Intl (ICU),
// strings, typed arrays, BigInt, Map/Set, sorting, generators, promises,
// Proxy, error stacks, zlib, crypto and Buffer.
// Prints one line on stdout: "node_work: iterations=N checksum=HEX ms=T",
// where the checksum depends only on N (not on timing or on pages), and T
// is the time of the work loop in milliseconds.
// Must never: depend on the clock, randomness or the environment for what
// it computes.
'use strict';
const vm = require('vm');
const zlib = require('zlib');
const crypto = require('crypto');

let sum = 0;
const mix = (v) => { sum = (Math.imul(sum ^ (v | 0), 16777619) + 0x9e3779b9) | 0; };
const mixStr = (s) => { for (let i = 0; i < s.length; i += 7) mix(s.charCodeAt(i)); mix(s.length); };

// A small deterministic PRNG (xorshift32).
function rng(seed) {
  let x = seed | 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
}

// Source text of a module with many distinct functions: fresh code to parse
// and compile every iteration (no code cache can help).
function genSource(it, n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    const k = it * 1000 + i;
    switch (i % 6) {
      case 0:
        parts.push(`function f${i}(a, b = ${k % 7}) { let s = 0; for (let j = 0; j < a; j++) s = (s + j * ${k % 13 + 1} + b) | 0; return s; }`);
        break;
      case 1:
        parts.push(`class C${i} { constructor(x) { this.x = x; this.y${i % 5} = x * 2; } get v() { return this.x + ${k % 11}; } m(z) { return [this.x, z, ...[1, 2]].reduce((p, q) => p + q, 0); } }
function f${i}(a) { const o = new C${i}(a); return o.v + o.m(${k % 5}); }`);
        break;
      case 2:
        parts.push(`function f${i}(a) { const { p = ${k % 9}, q: [r, ...t] = [a, 1, 2] } = { q: [a, ${k % 3}, 4] }; return \`\${p}-\${r}-\${t.length}\`.length + p; }`);
        break;
      case 3:
        parts.push(`function* g${i}(n) { for (let j = 0; j < n; j++) yield j ^ ${k % 31}; }
function f${i}(a) { let s = 0; for (const v of g${i}(a % 20)) s += v; return s; }`);
        break;
      case 4:
        parts.push(`function f${i}(a) { try { if (a % ${k % 4 + 2} === 0) throw new RangeError('r' + a); return a; } catch (e) { return e.message.length; } finally { a++; } }`);
        break;
      default:
        parts.push(`function f${i}(a) { switch (a & 3) { case 0: return /x${k % 10}+y/.test('xx${k % 10}y' + a) ? 1 : 2; case 1: return Math.hypot(a, ${k % 17}) | 0; case 2: return String(a).padStart(${k % 8 + 1}, '0').length; default: return [a, ${k}].join(':').length; } }`);
    }
  }
  const body = Array.from({ length: n }, (_, i) => `s = (s + f${i}(r)) | 0;`).join(' ');
  // one function scope per module: its classes do not collide across iterations
  return `(function () {\n${parts.join('\n')}\nreturn function run(m) { let s = 0; for (let r = 0; r < m; r++) { ${body} } return s; };\n})()`;
}

function compileAndRun(it) {
  const src = genSource(it, 60);
  const run = new vm.Script(src, { filename: `gen${it}.js` }).runInThisContext();
  mix(run(it % 3 === 0 ? 400 : 40)); // sometimes hot enough to be optimized
  const f = new Function('a', 'b', `return a * ${it % 97} + b.length;`);
  mix(f(it, 'abc'));
  mix(eval(`(${it} + 1) * 3`));
}

// Many object shapes through the same sites: polymorphic and megamorphic ICs.
function shapes(it) {
  const objs = [];
  for (let i = 0; i < 400; i++) {
    const o = {};
    o['k' + (i % 23)] = i;
    if (i % 3) o.a = i;
    o.b = i * 2;
    if (i % 5 === 0) o['z' + (i % 7)] = it;
    objs.push(o);
  }
  let s = 0;
  for (let r = 0; r < 20; r++) for (const o of objs) s += o.b + (o.a || 0) + Object.keys(o).length;
  mix(s);
}

function jsonWork(it) {
  const r = rng(it + 1);
  const doc = { id: it, items: [] };
  for (let i = 0; i < 300; i++)
    doc.items.push({ n: i, name: 'item' + i, tags: ['a' + (i % 5), 'b' + (i % 3)], price: Math.round(r() * 10000) / 100, ok: i % 2 === 0, nested: { depth: i % 4, list: [i, i + 1] } });
  const text = JSON.stringify(doc);
  const back = JSON.parse(text, (k, v) => (k === 'price' ? Math.floor(v) : v));
  mix(back.items.reduce((p, x) => p + x.price, 0));
  mixStr(JSON.stringify(back.items.slice(0, 20), null, 2));
}

function regexWork(it) {
  const words = [];
  for (let i = 0; i < 400; i++) words.push(`user${(i * 7919 + it) % 1000}@host${i % 13}.example.org`);
  const text = words.join(' ; ');
  const res = [/(\w+)@(\w+)\.example\.org/g, /host(1[0-2]|[3-5])\b/g, /(?<u>user\d{2,3})@/g, new RegExp(`user${it % 100}\\d?`, 'gi')];
  for (const re of res) { let m; let c = 0; while ((m = re.exec(text))) c += m[0].length; mix(c); }
  mixStr(text.replace(/host(\d+)/g, (_, d) => 'H' + d * 2).slice(0, 500));
  mix(text.split(/\s*;\s*/).length);
}

const intl = {
  nf: new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }),
  df: new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: 'UTC' }),
  col: new Intl.Collator('sv'),
  pr: new Intl.PluralRules('ru'),
};
function intlWork(it) {
  const names = [];
  for (let i = 0; i < 200; i++) names.push(String.fromCharCode(97 + (i * 7 + it) % 26) + 'åäö'[i % 3] + i);
  names.sort(intl.col.compare);
  mixStr(names.slice(0, 10).join());
  for (let i = 0; i < 60; i++) {
    mixStr(intl.nf.format(i * 1234.5 + it));
    mixStr(intl.df.format(new Date(Date.UTC(2020, i % 12, 1 + (i % 28), i % 24))));
    mixStr(intl.pr.select(i));
    mixStr((i * 98765.4321).toLocaleString('hi-IN'));
  }
  mixStr('ǅemaljİıß'.repeat(20).normalize('NFKD').toUpperCase().toLowerCase());
}

function numericWork(it) {
  const n = 20000;
  const a = new Float64Array(n), b = new Int32Array(n);
  for (let i = 0; i < n; i++) { a[i] = Math.sin(i + it) * 1000; b[i] = (i * 2654435761) | 0; }
  b.sort();
  a.sort((x, y) => y - x);
  const dv = new DataView(a.buffer);
  let s = 0;
  for (let i = 0; i < n; i += 16) s += dv.getInt32(i * 8, true) ^ b[i];
  mix(s);
  let big = 1n;
  for (let i = 1n; i < 120n; i++) big = (big * (i + BigInt(it))) % (2n ** 127n - 1n);
  mix(Number(big % 1000003n));
}

function collections(it) {
  const m = new Map(), st = new Set(), wm = new WeakMap();
  for (let i = 0; i < 5000; i++) {
    const k = 'k' + ((i * 31 + it) % 3000);
    m.set(k, (m.get(k) || 0) + i);
    st.add(i % 1700);
    if (i % 50 === 0) wm.set({ i }, i);
  }
  const arr = [...m.entries()].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  mix(arr.length + st.size + arr[0][1]);
  const nested = Array.from({ length: 300 }, (_, i) => [i, [i * 2, [i * 3]]]);
  mix(nested.flat(3).filter((x) => x % 3 === 0).map((x) => x * 2).reduce((p, q) => p + q, 0));
  const objs = Array.from({ length: 1000 }, (_, i) => ({ id: i, key: 'x' + ((i * 7) % 101) }));
  objs.sort((p, q) => p.key.localeCompare(q.key) || p.id - q.id);
  mix(objs[500].id);
}

function metaWork(it) {
  const target = { a: 1, b: 2 };
  const p = new Proxy(target, { get: (t, k) => (k in t ? t[k] : k.length), has: (t, k) => k !== 'hidden' });
  let s = 0;
  for (let i = 0; i < 2000; i++) s += p.a + p['x' + (i % 9)] + ('hidden' in p ? 1 : 0);
  mix(s + Reflect.ownKeys(target).length);
  const iterable = { *[Symbol.iterator]() { for (let i = 0; i < 500; i++) yield i * it; } };
  mix([...iterable].length);
  let depth = 0;
  const rec = (n) => { if (n === 0) { const e = new Error('deep'); depth = e.stack.split('\n').length; return 0; } return rec(n - 1) + 1; };
  mix(rec(30) + depth);
  class A { constructor(v) { this.v = v; } val() { return this.v; } }
  class B extends A { val() { return super.val() * 2; } }
  class D extends B { get w() { return this.val() + 1; } }
  let t = 0;
  for (let i = 0; i < 3000; i++) t += new D(i).w;
  mix(t);
}

async function asyncWork(it) {
  let s = 0;
  const tasks = [];
  for (let i = 0; i < 300; i++) tasks.push((async (x) => { await null; s += x; return x * 2; })(i + it));
  const res = await Promise.all(tasks);
  mix(s + res.length);
  const settled = await Promise.allSettled([Promise.reject(new TypeError('t')), Promise.resolve(it)]);
  mix(settled.length);
}

function nodeWork(it) {
  const data = Buffer.from(genSource(it, 20));
  const z = zlib.deflateSync(data, { level: 6 });
  const back = zlib.inflateSync(z);
  mix(z.length + back.length);
  const h = crypto.createHash(it % 2 ? 'sha256' : 'sha512').update(data).digest('hex');
  mixStr(h);
  mixStr(crypto.createHmac('sha1', 'key' + it).update(h).digest('base64'));
  mixStr(data.toString('base64').slice(0, 200));
  mix(Buffer.compare(data.subarray(0, 100), back.subarray(0, 100)));
}

async function main() {
  const n = parseInt(process.argv[2] || '200', 10);
  const t0 = process.hrtime.bigint();
  for (let it = 0; it < n; it++) {
    compileAndRun(it);
    shapes(it);
    jsonWork(it);
    regexWork(it);
    intlWork(it);
    numericWork(it);
    collections(it);
    metaWork(it);
    await asyncWork(it);
    nodeWork(it);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`node_work: iterations=${n} checksum=${(sum >>> 0).toString(16)} ms=${ms.toFixed(1)}`);
}

main();
