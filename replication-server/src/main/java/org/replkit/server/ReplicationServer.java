package org.replkit.server;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.DumpMarker;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.control.ControlDb;
import org.replkit.core.queue.H2StableQueue;
import org.replkit.core.queue.Marker;
import org.replkit.core.queue.StableQueue;
import org.replkit.jdbc.ReplKitConfig;
import org.replkit.procs.Commands;
import org.replkit.procs.Invocation;
import org.replkit.procs.Registry;
import org.replkit.server.standby.Standby;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The replication server: one log reader (RepAgent) per primary appending to the stable queue, one
 * connection (DSI) per replicate applying from it, the control database where their states live, and
 * the admin commands. {@link #close} is the graceful shutdown (SIGTERM in {@code replkit server}).
 */
public final class ReplicationServer implements AutoCloseable
{
   private static final Logger LOG = LoggerFactory.getLogger(ReplicationServer.class);
   private static final Pattern SUSPEND_CONN = Pattern.compile("(?i)^\\s*suspend\\s+connection\\s+to\\s+(\\S+)\\s*$");
   private static final Pattern RESUME_CONN = Pattern.compile("(?i)^\\s*resume\\s+connection\\s+to\\s+(\\S+?)(?:\\s+skip\\s+(transaction|to\\s+resync\\s+marker))?\\s*$");
   // the RepAgent's own commands (seed 000 steps 1 and 7); the site may be left out when the server reads one primary
   private static final Pattern RA_SUSPEND = Pattern.compile("(?i)^\\s*suspend(?:\\s+(\\S+))?\\s*$");
   private static final Pattern RA_RESUME = Pattern.compile("(?i)^\\s*resume(\\s+resync(?:\\s+(purge|init))?)?(?:\\s+(\\S+))?\\s*$");
   private static final Pattern RA_INIT = Pattern.compile("(?i)^\\s*ra_init\\s+force(?:\\s+(\\S+))?\\s*$");
   private static final Pattern LOG_TRANSFER = Pattern.compile("(?i)^\\s*(suspend|resume)\\s+log\\s+transfer\\s+from\\s+(\\S+)\\s*$");
   private static final Pattern EXCEPTIONS = Pattern.compile("(?i)^\\s*(?:list\\s+exceptions|rs_helpexception)(?:\\s+(?:for\\s+)?(\\S+))?\\s*$");
   private static final Pattern WHO = Pattern.compile("(?i)^\\s*admin\\s+who\\s*$");
   static final String COMMANDS = "suspend connection to ds.db | resume connection to ds.db [skip transaction | skip to resync marker]"
                                  + " | suspend log transfer from SITE | resume log transfer from SITE | suspend [SITE] | resume [resync [purge|init]] [SITE]"
                                  + " | ra_init force [SITE] | sp_start_rep_agent SITE, 'resync[ purge| init]' | lr_dump_marker [POSITION[, 'SITE']]"
                                  + " | list exceptions [ds.db] | admin who | " + Standby.COMMANDS;

   private final ServerConfig config;
   private final ControlDb control;
   private final StableQueue queue;
   private final Map<String, LogReader> readers = new LinkedHashMap<>();
   private final Map<String, Dsi> dsis = new LinkedHashMap<>();
   private final Groups groups;
   private final Standby standby;
   private volatile boolean running;
   private Thread housekeeper;

   public ReplicationServer(ServerConfig config) throws SQLException
   {
      this.config = config;
      this.control = openControl(config.control());
      try {
         this.queue = H2StableQueue.open(config.queue());
      }
      catch (RuntimeException e) {
         control.close();
         throw e;
      }
      final Map<String, Dialect> dialects = new LinkedHashMap<>();
      for (ServerConfig.Site s : config.sites()) {
         final LogReader r = new LogReader(s, queue, control);
         readers.put(s.name(), r);
         dialects.put(s.name(), r.dialect);
         control.registerSite(s.name(), realUrl(s.db().url()));
      }
      for (ServerConfig.Conn c : config.connections()) {
         Dialect.fromUrl(realUrl(c.db().url())); // a clear message for an unsupported URL
         dsis.put(c.name(), new Dsi(c, queue, control, dialects));
         control.registerConnection(c.name(), realUrl(c.db().url()), String.join(",", c.from()));
      }
      groups = new Groups(config, control, queue, dsis);
      this.standby = config.standby() == null ? null : new Standby(config.standby());
   }

   public static ControlDb openControl(ServerConfig.Db db) throws SQLException
   {
      try {
         String url = realUrl(db.url());
         final String u = url.toUpperCase(Locale.ROOT);
         if (url.startsWith("jdbc:h2:") && !u.contains("DB_CLOSE_ON_EXIT") && !u.contains("AUTO_SERVER=TRUE")) {
            url += ";DB_CLOSE_ON_EXIT=FALSE"; // closed by our shutdown hook, after the connections recorded their last state
         }
         return new ControlDb(url, db.user(), db.password());
      }
      catch (SQLException e) {
         throw new SQLException("cannot open the control database " + Dialect.redact(db.url()) + ": " + e.getMessage(), e.getSQLState(), e);
      }
   }

   public ServerConfig config()
   {
      return config;
   }

   public ControlDb control()
   {
      return control;
   }

   /**
    * Checks that every primary and replicate can be reached with its credentials and that the tables the
    * primaries capture exist at their replicates. Returns the problems, each naming what is wrong; the
    * first list is fatal, the second only warns (replicated DDL may still create a table).
    */
   public List<List<String>> check()
   {
      final List<String> fatal = new ArrayList<>();
      final List<String> warnings = new ArrayList<>();
      final Map<String, List<TableInfo>> captured = new LinkedHashMap<>();
      for (ServerConfig.Site s : config.sites()) {
         try (Connection c = connect(s.db(), "primary " + s.name())) {
            final Dialect d = Dialect.of(c);
            final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c));
            final List<TableInfo> tables = new ArrayList<>();
            if (!log.isInstalled(c)) {
               warnings.add("site " + s.name() + ": no ReplKit change log yet (schema " + log.schema() + "); it appears when the application first connects through jdbc:replkit:");
            }
            else {
               try (PreparedStatement ps = c.prepareStatement("SELECT schema_name, table_name FROM " + log.table("rk_table")); ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                     tables.add(log.registered(c, rs.getString(1), rs.getString(2)));
                  }
               }
            }
            captured.put(s.name(), tables);
         }
         catch (SQLException e) {
            fatal.add(e.getMessage());
         }
      }
      for (ServerConfig.Conn cn : config.connections()) {
         try (Connection c = connect(cn.db(), "replicate " + cn.name())) {
            final Dialect to = Dialect.of(c);
            final TxApplier names = new TxApplier(c, to, cn.schema());
            for (String origin : cn.from()) {
               final Dialect from = readers.get(origin).dialect;
               for (TableInfo t : captured.getOrDefault(origin, List.of())) {
                  final String name = names.name(from, t.name());
                  final String schema = cn.schema() != null ? cn.schema() : to == Dialect.MARIADB ? c.getCatalog() : c.getSchema();
                  try (ResultSet rs = to == Dialect.MARIADB ? c.getMetaData().getTables(schema, null, name, null)
                                                            : c.getMetaData().getTables(null, schema, name, null)) {
                     if (!rs.next()) {
                        warnings.add("connection " + cn.name() + ": table " + name + " (captured at site " + origin + ") is missing at the replicate"
                                     + " (schema " + schema + "): create it there before its changes arrive, or the connection suspends");
                     }
                  }
               }
            }
         }
         catch (SQLException e) {
            fatal.add(e.getMessage());
         }
      }
      return List.of(fatal, warnings);
   }

   public void start()
   {
      running = true;
      readers.values().forEach(LogReader::start);
      for (Dsi d : dsis.values()) {
         // a master receives only once instantiated: until then its changes queue (seed 004)
         final String site = d.cfg.site();
         d.start(site == null || groups.isActiveMaster(site) ? null : "site " + site + " is not an instantiated master of any replication group yet");
      }
      if (standby != null) {
         standby.start();
      }
      housekeeper = new Thread(this::housekeeping, "replkit-housekeeper");
      housekeeper.setDaemon(true);
      housekeeper.start();
      LOG.info("ReplKit replication server started: {} log reader(s), {} connection(s)", readers.size(), dsis.size());
   }

   /** Runs queued admin commands and purges what every connection has secured. */
   private void housekeeping()
   {
      long lastPurge = System.currentTimeMillis();
      while (running) {
         try {
            for (ControlDb.Command c : control.pendingCommands()) {
               String result;
               try {
                  result = admin(c.text(), new Groups.Caller(c.site(), c.user()));
               }
               catch (RuntimeException e) {
                  result = "error: " + e.getMessage(); // an unknown command or a wrong state: answered, never retried
               }
               control.commandDone(c.id(), result);
            }
            if (System.currentTimeMillis() - lastPurge > 5000) {
               queue.purge();
               lastPurge = System.currentTimeMillis();
            }
            Thread.sleep(100);
         }
         catch (InterruptedException e) {
            return;
         }
         catch (SQLException | RuntimeException e) {
            if (running) {
               LOG.warn("housekeeping: {}", e.getMessage());
            }
         }
      }
   }

   /** An admin command from the operator (the CLI, tests): see {@link #admin(String, Groups.Caller)}. */
   public String admin(String command)
   {
      return admin(command, Groups.Caller.OPERATOR);
   }

   /**
    * Runs an admin command or procedure call (any form marker-procs recognizes) for a caller; returns its
    * answer. Unknown commands or names throw IllegalArgumentException; a command given in a state where it
    * makes no sense throws IllegalStateException naming the state (RepException for DBMS_* procedures).
    */
   public String admin(String command, Groups.Caller caller)
   {
      final List<Invocation> calls;
      try {
         calls = Commands.parseAll(command);
      }
      catch (SQLException e) {
         throw new IllegalArgumentException(e.getMessage(), e);
      }
      if (calls == null) {
         return text(command);
      }
      final StringBuilder answers = new StringBuilder();
      for (Invocation inv : calls) { // a BEGIN ... END block runs its calls in order and stops at the first error
         answers.append(answers.length() > 0 ? "\n" : "").append(invoke(inv, caller));
      }
      return answers.toString();
   }

   private String invoke(Invocation inv, Groups.Caller caller)
   {
      final String name = inv.procedure().name();
      try {
         if (Groups.handles(name.toUpperCase(Locale.ROOT))) {
            return groups.call(name.toUpperCase(Locale.ROOT), inv.args(), caller);
         }
         if (inv.is(Registry.ADMIN_COMMAND)) {
            return admin(inv.string(Registry.COMMAND), caller);
         }
         if (inv.is("sp_start_rep_agent")) {
            final LogReader r = reader(inv.string("dbname"), inv.canonicalText());
            final String mode = inv.string("mode");
            return mode == null ? r.resume() : r.resumeResync(switch (mode) {
               case "resync" -> Marker.Mode.NONE;
               case "resync purge" -> Marker.Mode.PURGE;
               default -> Marker.Mode.INIT;
            });
         }
         if (inv.is("lr_dump_marker")) {
            final LogReader r = reader(inv.string("site") != null ? inv.string("site") : caller.site(), inv.canonicalText());
            return dumpMarker(r, inv.bigint("position"));
         }
         if (inv.args().containsKey(Registry.COMMAND)) {
            return text(inv.string(Registry.COMMAND));
         }
         throw new IllegalArgumentException(inv.procedure().signature() + ": this procedure runs at the database, not in the replication server");
      }
      catch (SQLException e) {
         throw new IllegalStateException(e.getMessage(), e);
      }
   }

   private String dumpMarker(LogReader r, Long position) throws SQLException
   {
      try (Connection c = connect(r.site.db(), "primary " + r.site.name())) {
         final ChangeLogSchema log = new ChangeLogSchema(r.dialect, ChangeLogSchema.defaultSchema(r.dialect, c));
         final long p = DumpMarker.request(c, log, position);
         return "Dump marker requested at sequence " + p + " of " + r.site.name() + ": the log reader sends it after that transaction.";
      }
   }

   /** The replication server's own command texts. */
   private String text(String command)
   {
      if (Standby.isStandbyCommand(command)) {
         if (standby == null) {
            throw new IllegalArgumentException("'" + Standby.unwrap(command).strip() + "': no standby pair is configured (see the standby: section of replkit.yaml)");
         }
         return standby.command(command);
      }
      command = Standby.unwrap(command); // ADMIN COMMAND '<text>' runs <text>
      Matcher m;
      try {
         if ((m = SUSPEND_CONN.matcher(command)).matches()) {
            return dsi(m.group(1)).suspend();
         }
         if ((m = RESUME_CONN.matcher(command)).matches()) {
            final Dsi d = dsi(m.group(1));
            if (m.group(2) == null) {
               return d.resume(false);
            }
            return m.group(2).toLowerCase(Locale.ROOT).startsWith("transaction") ? d.resume(true) : d.resumeSkipToResyncMarker();
         }
         if ((m = LOG_TRANSFER.matcher(command)).matches()) {
            final LogReader r = reader(m.group(2), command);
            return m.group(1).equalsIgnoreCase("suspend") ? r.suspend() : r.resume();
         }
         if ((m = RA_SUSPEND.matcher(command)).matches()) {
            return reader(m.group(1), command).suspend();
         }
         if ((m = RA_RESUME.matcher(command)).matches()) {
            final LogReader r = reader(m.group(3), command);
            if (m.group(1) == null) {
               return r.resume();
            }
            return r.resumeResync(m.group(2) == null ? Marker.Mode.NONE : Marker.Mode.valueOf(m.group(2).toUpperCase(Locale.ROOT)));
         }
         if ((m = RA_INIT.matcher(command)).matches()) {
            return reader(m.group(1), command).raInitForce();
         }
      }
      catch (SQLException e) {
         throw new IllegalStateException(e.getMessage(), e);
      }
      final String local = readOnly(control, command);
      if (local != null) {
         return local;
      }
      throw new IllegalArgumentException("unknown command '" + command.strip() + "'; the commands are: " + COMMANDS);
   }

   /** The log reader a RepAgent command names; the only one when it names none. */
   private LogReader reader(String site, String command)
   {
      if (site == null) {
         if (readers.size() == 1) {
            return readers.values().iterator().next();
         }
         throw new IllegalArgumentException("'" + command.strip() + "' needs a site: the server reads " + readers.keySet());
      }
      final LogReader r = readers.get(site);
      if (r == null) {
         throw new IllegalArgumentException("unknown site '" + site + "'; the sites are " + readers.keySet());
      }
      return r;
   }

   /** True when the text is a command this server knows (checked before queueing it for the server). */
   public static boolean isCommand(String command)
   {
      if (Standby.isStandbyCommand(Standby.unwrap(command))) {
         return true;
      }
      try {
         if (Commands.parseAll(command) != null) {
            return true;
         }
      }
      catch (SQLException e) {
         throw new IllegalArgumentException(e.getMessage(), e); // a call with wrong arguments: say so before queueing it
      }
      for (Pattern p : List.of(SUSPEND_CONN, RESUME_CONN, LOG_TRANSFER, RA_SUSPEND, RA_RESUME, RA_INIT, EXCEPTIONS, WHO)) {
         if (p.matcher(command).matches()) {
            return true;
         }
      }
      return false;
   }

   /** Commands answered from the control database alone (the CLI runs them without a server); null for others. */
   public static String readOnly(ControlDb control, String command)
   {
      command = Standby.unwrap(command);
      try {
         Matcher m;
         if ((m = EXCEPTIONS.matcher(command)).matches()) {
            final List<ControlDb.ExceptionEntry> list = control.exceptions(m.group(1));
            if (list.isEmpty()) {
               return "The exceptions log is empty" + (m.group(1) == null ? "." : " for " + m.group(1) + ".");
            }
            final StringBuilder sb = new StringBuilder();
            for (ControlDb.ExceptionEntry e : list) {
               sb.append("#").append(e.id()).append(' ').append(e.connection()).append(" transaction ").append(e.oqid())
                 .append(" committed ").append(e.committedAt()).append(", skipped ").append(e.loggedAt()).append('\n')
                 .append("  error: ").append(e.error()).append('\n');
               for (String line : e.transaction().split("\n")) {
                  sb.append("  ").append(line).append('\n');
               }
            }
            return sb.toString().stripTrailing();
         }
         if (WHO.matcher(command).matches()) {
            return Status.render(control);
         }
         return null;
      }
      catch (SQLException e) {
         throw new IllegalStateException("control database: " + e.getMessage(), e);
      }
   }

   Dsi dsi(String name)
   {
      final Dsi d = dsis.get(name);
      if (d == null) {
         throw new IllegalArgumentException("unknown connection '" + name + "'; the connections are " + dsis.keySet());
      }
      return d;
   }

   /** A DBMS_REPCAT / DBMS_OFFLINE_OG procedure (see {@link Groups}). */
   String call(String procedure, Map<String, Object> args, Groups.Caller caller)
   {
      try {
         return groups.call(procedure, args, caller);
      }
      catch (SQLException e) {
         throw new IllegalStateException(procedure + ": " + e.getMessage(), e);
      }
   }

   /** The hot-standby pair's command handler, or null when none is configured. */
   public Standby standby()
   {
      return standby;
   }

   LogReader reader(String site)
   {
      return readers.get(site);
   }

   StableQueue queue()
   {
      return queue;
   }

   @Override
   public void close()
   {
      running = false;
      try {
         for (LogReader r : readers.values()) {
            r.stop();
         }
         for (Dsi d : dsis.values()) {
            d.stop();
         }
         if (standby != null) {
            standby.close();
         }
         if (housekeeper != null) {
            housekeeper.interrupt();
            housekeeper.join(5000);
         }
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
      }
      finally {
         queue.close();
         control.close();
         LOG.info("ReplKit replication server stopped");
      }
   }

   // ---- JDBC helpers shared by the readers and connections ----

   /** The real driver's URL of a possibly {@code jdbc:replkit:} URL (the server reads and applies without capture). */
   public static String realUrl(String url)
   {
      if (url.startsWith("jdbc:replkit:")) {
         try {
            return ReplKitConfig.split(url, null).realUrl();
         }
         catch (SQLException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
         }
      }
      return url;
   }

   /** Opens a connection; a failure names what was being reached and where, never the password. */
   static Connection connect(ServerConfig.Db db, String what) throws SQLException
   {
      return connect(db, what, false);
   }

   /** {@code applying}: a replicate connection, which gets the driver's multi-row rewrite of batched inserts. */
   public static Connection connect(ServerConfig.Db db, String what, boolean applying) throws SQLException
   {
      final String url = realUrl(db.url());
      final Properties p = new Properties();
      if (db.user() != null) {
         p.setProperty("user", db.user());
      }
      if (db.password() != null) {
         p.setProperty("password", db.password());
      }
      if (url.startsWith("jdbc:postgresql:") && !url.contains("ApplicationName")) {
         p.setProperty("ApplicationName", "replkit " + what); // visible in pg_stat_activity
      }
      if (applying && url.startsWith("jdbc:postgresql:") && !url.contains("reWriteBatchedInserts")) {
         p.setProperty("reWriteBatchedInserts", "true"); // one multi-row INSERT per batch: several times fewer round trips
      }
      try {
         Dialect.fromUrl(url);
         return DriverManager.getConnection(url, p);
      }
      catch (IllegalArgumentException e) {
         throw new SQLException("cannot connect to " + what + ": " + e.getMessage(), "08001");
      }
      catch (SQLException e) {
         throw new SQLException("cannot connect to " + what + " at " + Dialect.redact(url) + ": " + e.getMessage(), e.getSQLState(), e);
      }
   }

   /** A one-line explanation of a failure, for logs and the control database. */
   public static String describe(Throwable e, String what)
   {
      final String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
      if (e instanceof SQLException s) {
         final String state = s.getSQLState() == null ? "" : " [SQLState " + s.getSQLState() + "]";
         return msg.toLowerCase(Locale.ROOT).contains(what.toLowerCase(Locale.ROOT)) ? msg + state : what + ": " + msg + state;
      }
      return what + ": " + e.getClass().getSimpleName() + ": " + msg;
   }
}
