// The reference workflow server (issue: "Reference workflow server") lands here; until then the
// `kyso server` subcommand says it is not available. This entry keeps the build layout honest.
process.stderr.write('kyso-server: not available in this version yet\n');
process.exitCode = 70;
