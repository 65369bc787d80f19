/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAGS_H
#define FLAGS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Command line.  Every flag of the original keeps its name, default and
 * single-dash form; each flag is accepted as -name=v, -name v, --name=v and
 * --name v (booleans: -name, -name=true|false).  New-style names sit beside
 * the old ones; an old flag and its twin given with different values is an
 * error naming both.
 *
 *	-promserver URL		required; http:// or https:// with a host
 *	--promserver.config.file P	the upstream's http_config
 *				(lib/promcfg.h); "" (default) for none
 *	-port N			9846; 1..65535; means --web.listen-address
 *				:N, and with that flag only :N may be given
 *	-timeout N		15; whole seconds, 1..3600
 *	-timerange R		1m; 1-3 digits then s, m, h or d
 *	-log LEVEL		INFO; ERROR WARNING INFO DEBUG TRACE
 *				(twin: --log.level error warn info debug trace)
 *	-version, -help
 *	--web.listen-address [HOST]:PORT	default :9846 (all addresses,
 *				IPv6 and IPv4); HOST may be [v6addr];
 *				repeatable, up to FLAGS_MAX_LISTEN distinct
 *				addresses; ":P" overlaps every other address
 *				on port P
 *	--web.systemd-socket	false; take the listening sockets from
 *				systemd (lib/listen.h) and bind nothing: the
 *				listen addresses and -port are still checked,
 *				then unused, as in exporter-toolkit
 *	--web.config.file P	the exporter-toolkit web configuration (TLS,
 *				basic auth, headers; lib/webcfg.h); "" (the
 *				default) serves plain HTTP to anyone
 *	--web.telemetry-path P	/metrics; starts with '/', not "/"
 *	--web.max-connections N	512; 1..10000
 *	--collector.min-interval D	5s; how long a finished collection
 *				answers further scrapes: 0, or 1-4 digits
 *				then ms, s, m or h, at most 1h
 *	--log.format F		logfmt | json
 *	--path.squeue P, --path.getent P	absolute paths of the commands
 *				(default: found through PATH at start-up)
 *	--accounts.cache-ttl D	5m; a duration like -timerange, or 0 to
 *				disable caching
 *	--source.max-records N	4000000; records per source and scrape
 *	--source.max-keys N	2000000; distinct keys per source and scrape
 *	-sandbox MODE		enforce | log | off
 *	--sandbox.read-path P	an absolute directory the slurm and accounts
 *				helpers and their commands may read and run
 *				from (Slurm under /opt or NFS, wrappers);
 *				repeatable, up to FLAGS_MAX_READ_PATHS
 *	-user NAME		nobody; the account to run as, started as root
 */

#define FLAGS_MAX_STR	1024
/* --web.listen-address values kept; more is a usage error. */
#define FLAGS_MAX_LISTEN	16
#define FLAGS_MAX_HOST		256
/* --sandbox.read-path values kept; more is a usage error. */
#define FLAGS_MAX_READ_PATHS	16

enum sandbox_mode {
	SANDBOX_ENFORCE = 0,
	SANDBOX_LOG = 1,
	SANDBOX_OFF = 2,
};

/* One --web.listen-address. */
struct flags_listen {
	char		 host[FLAGS_MAX_HOST];	/* "" = every address */
	unsigned int	 port;
};

struct config {
	char		 promserver[FLAGS_MAX_STR];
	/*
	 * The addresses to bind, in the order given: always at least one
	 * (the default :9846, or :N with -port N), all distinct.
	 * listen_host and port repeat listen_addr[0] for callers that bind
	 * a single address.
	 */
	struct flags_listen listen_addr[FLAGS_MAX_LISTEN];
	size_t		 nlisten_addr;		/* 1..FLAGS_MAX_LISTEN */
	char		 listen_host[FLAGS_MAX_HOST];	/* "" = every address */
	unsigned int	 port;
	int		 systemd_socket;	/* --web.systemd-socket */
	char		 web_config_file[FLAGS_MAX_STR];	/* "" = none */
	char		 promserver_config_file[FLAGS_MAX_STR];	/* "" = none */
	unsigned long	 min_interval_ms;	/* 0: collect per scrape */
	unsigned int	 timeout_s;
	char		 timerange[8];		/* as given, e.g. "1m" */
	unsigned long	 timerange_s;
	int		 log_level;		/* enum log_level */
	int		 log_format;		/* enum log_format */
	char		 telemetry_path[256];
	unsigned int	 max_connections;
	char		 squeue_path[FLAGS_MAX_STR];	/* "" = search PATH */
	char		 getent_path[FLAGS_MAX_STR];
	unsigned long	 cache_ttl_s;
	uint32_t	 max_records;		/* per source and scrape */
	uint32_t	 max_keys;
	int		 sandbox_mode;		/* enum sandbox_mode */
	char		 read_path[FLAGS_MAX_READ_PATHS][FLAGS_MAX_STR];
	size_t		 nread_path;
	char		 user[64];
	int		 show_version;
	int		 show_help;
};

/* Sets every field to its default. */
void	flags_defaults(struct config *cfg);

/*
 * Parses argv[1..argc) into cfg (defaults first).  Returns 0, or ERR_USAGE
 * with err receiving one line that names the flag and the accepted form
 * (e.g. "-timerange: invalid value \"5x\": want 1-3 digits followed by s,
 * m, h or d").  A successful parse with -help or -version set skips the
 * check for the required -promserver.
 */
int	flags_parse(int argc, char **argv, struct config *cfg, char *err,
	    size_t errsz);

/* Writes the usage text (every flag, its default and form) to buf. */
void	flags_usage(char *buf, size_t bufsz);

/*
 * Validates a time range: 1-3 digits then s, m, h or d.  Returns 0 and the
 * length in seconds in *secs, or ERR_INVAL.
 */
int	flags_parse_range(const char *s, unsigned long *secs);

#endif /* FLAGS_H */
