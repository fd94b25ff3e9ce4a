#!/usr/bin/env node
// Runs OpenActive's own validators offline and prints one JSON report on stdout.
//
//   node validate.js models --cache DIR --activity-list FILE [--context URL=FILE ...]
//                           [--document FILE ...] [--items-of FEED_URL ...] FEED_URL...
//       walks each RPDE feed from FEED_URL to its last page and checks every page, and so every item,
//       with @openactive/data-model-validator. --items-of feeds have a `kind` OpenActive does not list
//       (organisations): only each item's `data` is checked. --document checks a JSON-LD file (the
//       Dataset of a Dataset Site).
//   node validate.js rpde FEED_URL...
//       walks each feed with @openactive/rpde-validator.
//
// The validators would fetch the Activity List and any extension @context over the network; we put
// them into the data-model-validator's file cache first (the file name is the sha256 of the URL), so
// nothing leaves the machine. The feeds themselves are on loopback.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { validate } = require('@openactive/data-model-validator');
const { RpdeValidator } = require('@openactive/rpde-validator');

const GraphHelper = require('@openactive/data-model-validator/src/helpers/graph');

const ACTIVITY_LIST = 'https://openactive.io/activity-list';

// The validator looks up the class hierarchy (schema.org's whole vocabulary) again for every extension
// property of every item, and caches it only for specs with an `@id`, which the bundled OpenActive and
// schema.org graphs lack: about 2 s an item. The answer depends only on the spec, class and version
// (the sub-class specs are always the same two for a version), so it is remembered here; the rules
// themselves are untouched.
const classGraphs = new WeakMap();
const classGraph = GraphHelper.getClassGraph.bind(GraphHelper);
GraphHelper.getClassGraph = (spec, classId, version, subClassSpecs) => {
  if (!classGraphs.has(spec)) classGraphs.set(spec, new Map());
  const known = classGraphs.get(spec);
  const key = `${version}|${classId}`;
  if (!known.has(key)) known.set(key, classGraph(spec, classId, version, subClassSpecs));
  return known.get(key);
};
const MAX_PAGES = 1000; // a feed that never ends is a failure, not a hang

function parseArgs(argv) {
  const args = {
    contexts: [], documents: [], itemsOf: [], urls: [],
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--cache') args.cache = argv[++i];
    else if (arg === '--activity-list') args.activityList = argv[++i];
    else if (arg === '--context') args.contexts.push(argv[++i]);
    else if (arg === '--document') args.documents.push(argv[++i]);
    else if (arg === '--items-of') args.itemsOf.push(argv[++i]);
    else args.urls.push(arg);
  }
  return args;
}

function seedCache(dir, url, data) {
  const key = crypto.createHash('sha256').update(url).digest('hex');
  const entry = { errorCode: 'error_none', statusCode: 200, data, url, fetchTime: Date.now() };
  fs.writeFileSync(path.join(dir, `${key}.json`), JSON.stringify(entry));
}

// Findings of one severity, grouped by rule type and message so the report stays short.
function summarise(findings) {
  const counts = {};
  const groups = {};
  for (const finding of findings) {
    counts[finding.severity] = (counts[finding.severity] || 0) + 1;
    const key = `${finding.severity}|${finding.type}|${finding.message}`;
    if (!groups[key]) {
      groups[key] = {
        severity: finding.severity, type: finding.type, message: finding.message, count: 0, examples: [],
      };
    }
    groups[key].count += 1;
    if (groups[key].examples.length < 3) groups[key].examples.push(finding.where);
  }
  return { counts, groups: Object.values(groups).sort((a, b) => b.count - a.count) };
}

async function models(args) {
  fs.mkdirSync(args.cache, { recursive: true });
  seedCache(args.cache, ACTIVITY_LIST, JSON.parse(fs.readFileSync(args.activityList, 'utf8')));
  for (const pair of args.contexts) {
    const [url, file] = pair.split(/=(.*)/s);
    seedCache(args.cache, url, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  const options = {
    loadRemoteJson: true,
    remoteJsonCachePath: args.cache,
    remoteJsonCacheTimeToLive: 10 * 365 * 24 * 3600,
  };
  const findings = [];
  const feeds = {};
  const check = async (value, where) => {
    for (const finding of await validate(value, options)) {
      findings.push({ ...finding, where: `${where} ${finding.path}` });
    }
  };
  const walk = async (start, onPage) => {
    let url = start;
    let items = 0;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const response = await fetch(url, { headers: { Accept: 'application/json' } });
      const body = await response.json();
      // The last page (no items) is RPDE's business, and the model validator refuses its empty array.
      if (body.items.length === 0) break;
      items += body.items.length;
      await onPage(body, url);
      if (body.next === url) break;
      url = body.next;
    }
    feeds[start] = items;
  };
  for (const start of args.urls) await walk(start, (body, url) => check(body, url));
  for (const start of args.itemsOf) {
    await walk(start, async (body, url) => {
      for (const [i, item] of body.items.entries()) {
        if (item.state === 'updated') await check(item.data, `${url} items[${i}].data`);
      }
    });
  }
  for (const file of args.documents) {
    const document = JSON.parse(fs.readFileSync(file, 'utf8'));
    const mode = document['@type'] === 'Dataset' || document.type === 'Dataset' ? 'DatasetSite' : 'RPDEFeed';
    for (const finding of await validate(document, { ...options, validationMode: mode })) {
      findings.push({ ...finding, where: `${file} ${finding.path}` });
    }
  }
  return { feeds, ...summarise(findings) };
}

async function rpde(args) {
  const findings = [];
  const feeds = {};
  for (const url of args.urls) {
    const log = await RpdeValidator(url, { timeoutMs: 10000, pageLimit: 20 });
    feeds[url] = log.pages.length;
    for (const page of log.pages) {
      // ValidationError keeps its fields behind getters, which a spread would not copy.
      for (const error of page.errors) {
        const { severity, type, message } = error;
        findings.push({ severity, type, message, where: page.url });
      }
    }
  }
  return { feeds, ...summarise(findings) };
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const args = parseArgs(rest);
  const report = command === 'models' ? await models(args) : command === 'rpde' ? await rpde(args) : null;
  if (report === null) {
    process.stderr.write('usage: validate.js models|rpde [options] FEED_URL...\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
