/* The peer of bench/snmp: a long-lived poller on net-snmp's own library, as a monitoring daemon
 * built on it polls: one session per agent opened once (v3: keys derived once, engine discovered
 * once, and the passphrases' Ku once for all sessions), then every round walks ifTable and ifXTable of all agents at once with asynchronous
 * GETBULKs (max-repetitions 10, as snmpbulkwalk), and prints one JSON line like snmp_bench.
 *   netsnmp_poll --rounds N [--community C | --user U --auth-pass P --priv-pass P] PORT...
 * v3 is SHA + AES (authPriv). Agents on 127.0.0.1. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

struct walk {
  netsnmp_session *session;
  oid root[MAX_OID_LEN], next[MAX_OID_LEN];
  size_t root_len, next_len;
};

static int active;
static long varbinds, failures;

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int on_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic);

static void send_next(struct walk *w) {
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
  pdu->non_repeaters = 0;
  pdu->max_repetitions = 10;
  snmp_add_null_var(pdu, w->next, w->next_len);
  if (!snmp_async_send(w->session, pdu, on_response, w)) {
    snmp_free_pdu(pdu);
    ++failures;
    --active;
  }
}

static int on_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic) {
  struct walk *w = magic;
  if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || pdu->errstat != SNMP_ERR_NOERROR) {
    ++failures;
    --active;
    return 1;
  }
  int finished = pdu->variables == NULL;
  for (netsnmp_variable_list *v = pdu->variables; v; v = v->next_variable) {
    if (v->type == SNMP_ENDOFMIBVIEW || v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE ||
        snmp_oidtree_compare(w->root, w->root_len, v->name, v->name_length) != 0) {
      finished = 1;
      break;
    }
    ++varbinds;
    memcpy(w->next, v->name, v->name_length * sizeof(oid));
    w->next_len = v->name_length;
  }
  if (finished) --active;
  else send_next(w);
  return 1;
}

/* Ku of the passphrases, derived once: net-snmp localises it to each agent's engine id. */
static u_char auth_ku[USM_AUTH_KU_LEN], priv_ku[USM_PRIV_KU_LEN];
static size_t auth_ku_len = sizeof auth_ku, priv_ku_len = sizeof priv_ku;

static int derive_keys(const char *auth_pass, const char *priv_pass) {
  return generate_Ku(usmHMACSHA1AuthProtocol, USM_AUTH_PROTO_SHA_LEN, (u_char *)auth_pass, strlen(auth_pass), auth_ku,
                     &auth_ku_len) == SNMPERR_SUCCESS &&
         generate_Ku(usmHMACSHA1AuthProtocol, USM_AUTH_PROTO_SHA_LEN, (u_char *)priv_pass, strlen(priv_pass), priv_ku,
                     &priv_ku_len) == SNMPERR_SUCCESS;
}

static netsnmp_session *open_session(int port, const char *community, const char *user) {
  netsnmp_session s;
  char peer[64];
  snmp_sess_init(&s);
  snprintf(peer, sizeof peer, "udp:127.0.0.1:%d", port);
  s.peername = peer;
  s.timeout = 5000000;
  s.retries = 1;
  if (user) {
    s.version = SNMP_VERSION_3;
    s.securityName = (char *)user;
    s.securityNameLen = strlen(user);
    s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
    s.securityAuthProto = snmp_duplicate_objid(usmHMACSHA1AuthProtocol, USM_AUTH_PROTO_SHA_LEN);
    s.securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
    s.securityPrivProto = snmp_duplicate_objid(usmAESPrivProtocol, USM_PRIV_PROTO_AES_LEN);
    s.securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
    memcpy(s.securityAuthKey, auth_ku, auth_ku_len);
    s.securityAuthKeyLen = auth_ku_len;
    memcpy(s.securityPrivKey, priv_ku, priv_ku_len);
    s.securityPrivKeyLen = priv_ku_len;
  } else {
    s.version = SNMP_VERSION_2c;
    s.community = (u_char *)community;
    s.community_len = strlen(community);
  }
  return snmp_open(&s);
}

int main(int argc, char **argv) {
  const char *community = "public", *user = NULL, *auth_pass = NULL, *priv_pass = NULL;
  int rounds = 0, nports = 0, ports[4096];
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--community") && i + 1 < argc) community = argv[++i];
    else if (!strcmp(argv[i], "--user") && i + 1 < argc) user = argv[++i];
    else if (!strcmp(argv[i], "--auth-pass") && i + 1 < argc) auth_pass = argv[++i];
    else if (!strcmp(argv[i], "--priv-pass") && i + 1 < argc) priv_pass = argv[++i];
    else if (nports < 4096) ports[nports++] = atoi(argv[i]);
  }
  if (nports == 0 || rounds < 1 || (user && (!auth_pass || !priv_pass))) {
    fprintf(stderr, "usage: netsnmp_poll --rounds N [--community C | --user U --auth-pass P --priv-pass P] PORT...\n");
    return 2;
  }
  /* No configuration files and no MIB modules, as snmpbulkwalk runs here (-m ''): numeric OIDs. */
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  setenv("MIBS", "", 1);
  init_snmp("netsnmp_poll");
  static const char *tables[2] = {".1.3.6.1.2.1.2.2", ".1.3.6.1.2.1.31.1.1"};
  struct walk *walks = calloc((size_t)nports * 2, sizeof *walks);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double cpu0 = cpu_seconds();
  if (user && !derive_keys(auth_pass, priv_pass)) {
    fprintf(stderr, "netsnmp_poll: cannot derive the keys\n");
    return 1;
  }
  for (int a = 0; a < nports; ++a) {
    netsnmp_session *s = open_session(ports[a], community, user);
    if (!s) {
      snmp_perror("snmp_open");
      return 1;
    }
    for (int t = 0; t < 2; ++t) {
      walks[2 * a + t].session = s;
      walks[2 * a + t].root_len = MAX_OID_LEN;
      read_objid(tables[t], walks[2 * a + t].root, &walks[2 * a + t].root_len);
    }
  }
  for (int r = 0; r < rounds; ++r) {
    active = nports * 2;
    for (int i = 0; i < nports * 2; ++i) {
      memcpy(walks[i].next, walks[i].root, walks[i].root_len * sizeof(oid));
      walks[i].next_len = walks[i].root_len;
      send_next(&walks[i]);
    }
    while (active > 0) {
      int fds = 0, block = 1;
      fd_set fdset;
      struct timeval timeout;
      FD_ZERO(&fdset);
      snmp_select_info(&fds, &fdset, &timeout, &block);
      fds = select(fds, &fdset, NULL, NULL, block ? NULL : &timeout);
      if (fds > 0) snmp_read(&fdset);
      else if (fds == 0) snmp_timeout();
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("{\"version\":\"%s\",\"agents\":%d,\"rounds\":%d,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"varbinds\":%ld,\"failures\":%ld}\n",
         user ? "3" : "2c", nports, rounds, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
         cpu_seconds() - cpu0, varbinds, failures);
  return failures == 0 ? 0 : 1;
}
