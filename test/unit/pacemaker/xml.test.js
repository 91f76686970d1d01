'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { pacemaker: P } = require('../../..');

const rich = fs.readFileSync(path.join(__dirname, '../../fixtures/pacemaker/cib-rich.xml'), 'utf8');

test('round trip keeps every element, attribute (in order), comment and entity', (t) => {
  const doc = P.parseXml(rich);
  const out = P.serializeXml(doc);
  // Serialising the re-parsed output is a fixed point, and nothing was dropped.
  t.is(P.serializeXml(P.parseXml(out)), out);
  for (const needle of ['x-vendor-extension="kept"', '<bundle id="httpd-bundle">', '<docker image="pcmk:httpd" replicas="3"/>', '<acl_permission id="readers-read" kind="read" xpath="/cib"/>', '<obj_ref id="vip"/>', 'description="file &amp; &quot;log&quot;"', '<!-- hand-assembled', '<?xml version="1.0"?>', '<node_state id="1" uname="n1"']) {
    t.true(out.includes(needle), needle);
  }
  const cib = doc.root;
  t.deepEqual(cib.attrs.map(([k]) => k), ['crm_feature_set', 'validate-with', 'epoch', 'num_updates', 'admin_epoch', 'cib-last-written', 'have-quorum', 'x-vendor-extension']);
});

test('entities and character references decode; text with markup characters re-escapes', (t) => {
  const doc = P.parseXml('<a x="&lt;&#65;&#x42;&apos;">1 &lt; 2 &amp;&amp; <![CDATA[<raw>]]></a>');
  t.is(P.attr(doc.root, 'x'), "<AB'");
  t.is(doc.root.children.map((c) => c.text).join(''), '1 < 2 && <raw>');
  const again = P.parseXml(P.serializeXml(doc));
  t.is(again.root.children.map((c) => c.text).join(''), '1 < 2 && <raw>');
});

const malformed = [
  ['<cib><configuration></cib>', /does not match <configuration>.*line 1, column 21/, 'configuration'],
  ['<cib>\n  <nodes>\n    <node id="1" uname=n1/>\n', /attribute 'uname' of <node> is not quoted at line 3, column 24/, 'nodes'],
  ['<cib a="1" a="2"/>', /duplicate attribute 'a' in <cib>/, undefined],
  ['<cib><x y="&bogus;"/></cib>', /unknown entity '&bogus;'/, 'cib'],
  ['<cib><resources>', /element <resources> is not closed/, 'resources'],
  ['', /no root element/, undefined],
  ['<cib/><cib/>', /second root element <cib>/, undefined],
  ['<cib><a></b></cib>', /closing tag <\/b> does not match <a>/, 'a'],
  ['text<cib/>', /text outside the root element/, undefined],
  ['<cib x="a<b"/>', /'<' in the value of attribute 'x'/, undefined],
];
for (const [xml, message, element] of malformed) {
  test(`malformed XML is a typed error naming where: ${JSON.stringify(xml).slice(0, 40)}`, (t) => {
    const error = t.throws(() => P.parseXml(xml));
    t.is(error.code, 'PCMK_XML_PARSE');
    t.regex(error.message, message);
    t.is(typeof error.details.line, 'number');
    t.is(error.details.element, element);
  });
}

test('property: random mutations of a CIB never crash the parser (typed error or a tree)', (t) => {
  let seed = 12345;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const alphabet = ['<', '>', '/', '"', "'", '=', '&', ';', ' ', 'a', '!', '-', '?', ']', '\n'];
  for (let i = 0; i < 2000; i++) {
    const chars = rich.split('');
    const edits = 1 + rand(4);
    for (let e = 0; e < edits; e++) {
      const at = rand(chars.length);
      const op = rand(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]);
      else chars[at] = alphabet[rand(alphabet.length)];
    }
    const input = chars.join('');
    try {
      const doc = P.parseXml(input);
      P.serializeXml(doc);
    } catch (error) {
      if (error.code !== 'PCMK_XML_PARSE') t.fail(`untyped error ${error.stack} for input ${i}`);
    }
  }
  t.pass();
});
