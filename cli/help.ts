/** `--help` of each command; docs/CLI.md says the same at more length. */
export const HELP: Record<string, string> = {
	main: `sealdrop: end-to-end encrypted file sharing from the command line

Usage: sealdrop COMMAND [options]

Commands:
  send FILE|DIR|- ...     encrypt and upload; prints the link
  get LINK                download, verify and decrypt
  info LINK               what a share holds (spends nothing)
  list                    shares sent from this machine
  delete LINK|ID          delete a share you sent
  extend LINK|ID          change when a share you sent expires
  limit LINK|ID           change how many downloads a share you sent allows
  login NAME / logout     keep an API token for a restricted server
  config [server URL]     show or set the default server
  request create|list|get|close   file requests: others send files encrypted to your key
  submit LINK FILE|DIR... send files to someone's request
  key export|import       move a request's private key (a passphrase-protected file)

Run \`sealdrop COMMAND --help\` for its options. Exit codes: 0 ok, 1 internal, 2 usage,
3 network, 4 share gone, 5 wrong key or password, 6 damaged share, 7 local files,
8 refused by the server, 130 interrupted (see docs/CLI.md).
`,
	send: `Usage: sealdrop send FILE|DIR|- ... [options]

Encrypts files and folders (recreated on the other side) and prints the link. \`-\` sends
standard input (name it with --name). Run the same command again to continue an interrupted upload.

Options:
  --server URL        server to use (default: SEALDROP_SERVER, or \`sealdrop config server\`)
  --expires TIME      e.g. 1h, 1d, 7d (one of the server's choices; default: the server's)
  --downloads N       download limit (one of the server's choices)
  --password          ask for a password on the terminal (never give it on the command line)
  --password-stdin    read the password from standard input
  --note TEXT         a note for the recipient (may be the only content)
  --name NAME         the file name for standard input (default: stdin)
  --qr                also print the link as a QR code
  --json              print {link, id, expiresAt, maxDownloads, size} as JSON
  -q, --quiet         no progress bar
`,
	get: `Usage: sealdrop get LINK [options]

Downloads, verifies and decrypts a share into a folder, recreating its folders inside it (never
outside). Files are written under a temporary name and renamed only once verified. An existing
file is never replaced without --force. Run the same command again to continue an interrupted
download. The note, if any, is printed after the files.

Options:
  -o, --output DIR    folder to save into (default: the current folder; created if missing)
  --file NAME         only this file (its name in the share)
  --stdout            write one file (or a note-only share's note) to standard output
  --force             replace existing files
  --password-stdin    read the password from standard input (default: asked on the terminal)
  --json              print {id, files: [{name, path, size}], note} as JSON
  -q, --quiet         no progress bar
`,
	info: `Usage: sealdrop info LINK [--password | --password-stdin] [--json]

Shows a share's size, expiry, downloads left and files. Spends no download. A share with a
password lists its files only when the password is given (asked with --password, or read from
standard input with --password-stdin).
`,
	list: `Usage: sealdrop list [--links] [--json]

Lists the shares sent from this machine (the history in the config folder). --links also prints
their links, which contain the key.
`,
	delete: `Usage: sealdrop delete LINK|ID [--json]

Deletes a share sent from this machine (its owner token is in the history).
`,
	extend: `Usage: sealdrop extend LINK|ID --expires TIME [--json]

Makes a share sent from this machine expire TIME from now (one of the server's choices).
`,
	limit: `Usage: sealdrop limit LINK|ID --downloads N [--json]

Changes the download limit of a share sent from this machine (one of the server's choices).
`,
	login: `Usage: sealdrop login NAME [--server URL] [--password-stdin]

Logs in to a restricted server and saves an API token for it in the config file. SEALDROP_TOKEN,
when set, is used instead.
`,
	logout: `Usage: sealdrop logout [--server URL]

Forgets the saved API token for the server.
`,
	config: `Usage: sealdrop config [server URL]

Shows the settings, or sets the default server.
`,
	request: `Usage: sealdrop request COMMAND [options]

File requests: anyone with the link sends you files, encrypted to a key that stays on this
machine (the config folder, 0600).

  request create --title TEXT [--message TEXT] [--expires TIME] [--max-submissions N]
                 [--max-size SIZE] [--server URL] [--json]
                          make the key pair and the request; prints the link to give out
                          (--max-size per submission, e.g. 500M; default the server's limit)
  request list [--json]   requests made or imported here, with live counts
  request get LINK|ID [-o DIR] [--force] [--json] [-q]
                          downloads and decrypts each submission into DIR/<submission id>/
                          (names made safe as with get; one already saved is skipped)
  request close LINK|ID [--json]
                          takes no more submissions; those received stay readable
`,
	submit: `Usage: sealdrop submit LINK FILE|DIR... [--note TEXT] [--json] [-q]

Sends files and folders (and a note) to a file request. The request's key is checked against the
link before anything is encrypted (a server that swapped it is refused: REQUEST_KEY_MISMATCH).
Prints a receipt; you cannot read what you sent afterwards.
`,
	key: `Usage: sealdrop key export ID [-o FILE] [--passphrase-stdin]
       sealdrop key import FILE [--passphrase-stdin]

export writes a request's private key to a file protected by a passphrase (asked twice on the
terminal, or read from standard input); to standard output without -o. import reads one (made
here or in the web app); \`sealdrop request get LINK\` then opens that request's submissions.
`
};
