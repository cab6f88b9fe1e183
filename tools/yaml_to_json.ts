/**
 * Prints the YAML file named on the command line as JSON, for the tests that
 * read the workflows: YAML is parsed here, under tools/tools.json and its
 * lock, so that deno.lock holds no YAML parser.
 *
 *   deno run --config tools/tools.json --allow-read=.github tools/yaml_to_json.ts FILE
 *
 * @module
 */

// Pinned here and locked in tools/tools.lock, with the other dev tools' packages.
import { parse } from "npm:yaml@2.9.1";

if (import.meta.main) {
  const [file] = Deno.args;
  if (file === undefined) {
    console.error("yaml_to_json: name the YAML file to print as JSON");
    Deno.exit(2);
  }
  console.log(JSON.stringify(parse(await Deno.readTextFile(file))));
}
