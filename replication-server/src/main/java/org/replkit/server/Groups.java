package org.replkit.server;

import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.control.ControlDb;
import org.replkit.core.copy.TableCopy;
import org.replkit.core.queue.StableQueue;
import org.replkit.jdbc.capture.Quiesce;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replication groups and master sites (seed 004): DBMS_REPCAT as far as offline instantiation needs it,
 * and DBMS_OFFLINE_OG. Groups, their tables and their masters live in the control database.
 *
 * <p>A group is NORMAL or QUIESCED. Each master site of a group has an instantiation state, and every
 * transition is made in {@link #to}:
 * <pre>
 *   (none)        --CREATE_MASTER_REPGROUP (the caller's site: master definition site)--&gt; ACTIVE
 *   (none)        --ADD_MASTER_DATABASE, at the master definition site--------------------&gt; ADDED
 *                   the connection delivering to the site is held: changes queue for it, nothing is sent
 *   ADDED         --BEGIN_INSTANTIATION, at the master definition site, group QUIESCED----&gt; INSTANTIATING
 *   INSTANTIATING --RESUME_SUBSET_OF_MASTERS, at the master definition site-------------&gt; INSTANTIATING, group NORMAL:
 *                   the existing masters replicate among themselves again
 *   INSTANTIATING --BEGIN_LOAD, at the new site, group NORMAL-----------------------------&gt; LOADING (import, not captured)
 *   LOADING       --END_LOAD, at the new site--------------------------------------------&gt; LOADED
 *   LOADED        --END_INSTANTIATION, at the master definition site----------------------&gt; ACTIVE: the held connection
 *                   delivers what queued since the export, its rs_lastcommit (from the import) skipping what the
 *                   export already held
 *   group NORMAL   --SUSPEND_MASTER_ACTIVITY--&gt; QUIESCED: writes to the group's tables refused at every active
 *                   master (ORA-23326), then waits until every change made before reached every active master
 *   group QUIESCED --RESUME_MASTER_ACTIVITY---&gt; NORMAL (refused while a site is INSTANTIATING: RESUME_SUBSET_OF_MASTERS)
 * </pre>
 * "Called from the master definition site" and "executed at new_site" are decided by the site of the
 * calling connection ({@code replkit.site}; {@code replkit admin --site}). Only configured administrators
 * (and the operator of the control database, through {@code replkit admin}) may run these procedures.
 */
final class Groups
{
   /** Who calls: the site of the calling connection and its database user; both null for the CLI operator. */
   record Caller(String site, String user)
   {
      static final Caller OPERATOR = new Caller(null, null);
   }

   /** A DBMS_REPCAT / DBMS_OFFLINE_OG exception: its (negative) number and name, as Oracle raises them. */
   static final class RepException extends IllegalStateException
   {
      final int code;

      RepException(int code, String name, String message)
      {
         super("ORA" + code + ": " + name + ": " + message);
         this.code = code;
      }
   }

   enum MasterState
   {
      ADDED,
      INSTANTIATING,
      LOADING,
      LOADED,
      ACTIVE
   }

   private static final Logger LOG = LoggerFactory.getLogger(Groups.class);
   private static final long QUIESCE_WAIT_MS = 60_000;

   private final ServerConfig config;
   private final ControlDb control;
   private final StableQueue queue;
   private final Map<String, Dsi> dsis;

   Groups(ServerConfig config, ControlDb control, StableQueue queue, Map<String, Dsi> dsis)
   {
      this.config = config;
      this.control = control;
      this.queue = queue;
      this.dsis = dsis;
   }

   /** True when a site is an instantiated master of some group (its connection may deliver). */
   boolean isActiveMaster(String site)
   {
      try {
         for (ControlDb.Group g : control.groups()) {
            if (MasterState.ACTIVE.name().equals(control.groupMasters(g.name()).get(site))) {
               return true;
            }
         }
         return false;
      }
      catch (SQLException e) {
         throw new IllegalStateException("cannot read the replication groups from the control database: " + e.getMessage(), e);
      }
   }

   /** True for the procedures this class runs (upper-case, qualified names). */
   static boolean handles(String procedure)
   {
      return procedure.startsWith("DBMS_REPCAT.") || procedure.startsWith("DBMS_OFFLINE_OG.");
   }

   /** Runs a procedure with its (already typed and named) arguments; returns the answer. */
   synchronized String call(String procedure, Map<String, Object> args, Caller caller) throws SQLException
   {
      final String p = procedure.toUpperCase(Locale.ROOT);
      privileged(p, caller);
      final String gname = name(args, "gname");
      switch (p) {
         case "DBMS_REPCAT.CREATE_MASTER_REPGROUP" -> {
            if (caller.site() == null) {
               throw new IllegalArgumentException(p + " makes the calling site the master definition site: give it (replkit admin --site SITE)");
            }
            site(caller.site());
            if (control.group(gname) != null) {
               throw new RepException(-23374, "duplicaterepgroup", "group " + gname + " already exists");
            }
            control.createGroup(gname, caller.site(), "NORMAL", MasterState.ACTIVE.name());
            final ServerConfig.Conn own = config.connectionTo(caller.site());
            if (own != null) {
               dsis.get(own.name()).release(); // the master definition site is a master from the start
            }
            LOG.info("replication group {} created, master definition site {}", gname, caller.site());
            return "Group " + gname + " created; master definition site " + caller.site() + ".";
         }
         case "DBMS_REPCAT.CREATE_MASTER_REPOBJECT" -> {
            final ControlDb.Group g = masterdef(gname, caller, p);
            final String sname = name(args, "sname");
            final String oname = name(args, "oname");
            final Object type = args.get("type");
            if (type != null && !"TABLE".equalsIgnoreCase(type.toString())) {
               throw new RepException(-23430, "badargument", "type " + type + ": only TABLE objects are replicated");
            }
            try (Connection c = connect(g.masterdef())) {
               resolve(c, sname, oname); // the table must exist at the master definition site
            }
            control.addGroupObject(gname, sname, oname);
            return "Table " + sname + "." + oname + " added to group " + gname + ".";
         }
         case "DBMS_REPCAT.ADD_MASTER_DATABASE" -> {
            masterdef(gname, caller, p);
            final String master = name(args, "master");
            site(master);
            if (control.groupMasters(gname).containsKey(master)) {
               throw new RepException(-23432, "sitealreadyexists", master + " is already a master site of group " + gname);
            }
            for (ControlDb.Group other : control.groups()) {
               if (control.groupMasters(other.name()).containsKey(master)) {
                  // its connection and rs_lastcommit serve that group already: an instantiation would overwrite them
                  throw new RepException(-23432, "sitealreadyexists", master + " is already a master site of group " + other.name()
                                                                     + "; a site belongs to one replication group");
               }
            }
            final Dsi d = connectionTo(master);
            d.hold("site " + master + " is being added to group " + gname + ": its changes queue until DBMS_OFFLINE_OG.END_INSTANTIATION");
            to(gname, master, null, MasterState.ADDED);
            return "Master site " + master + " added to group " + gname + "; changes for it are queued until its instantiation ends.";
         }
         case "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY" -> {
            final ControlDb.Group g = masterdef(gname, caller, p);
            if (!g.state().equals("NORMAL")) {
               throw new RepException(-23431, "wrongstate", "group " + gname + " is " + g.state() + ", not NORMAL");
            }
            quiesce(gname);
            return "Group " + gname + " is quiesced: writes to its tables are refused at every master.";
         }
         case "DBMS_REPCAT.RESUME_MASTER_ACTIVITY" -> {
            final ControlDb.Group g = masterdef(gname, caller, p);
            if (!g.state().equals("QUIESCED")) {
               throw new RepException(-23431, "wrongstate", "group " + gname + " is " + g.state() + ", not QUIESCED");
            }
            if (control.groupMasters(gname).containsValue(MasterState.INSTANTIATING.name())) {
               throw new RepException(-23431, "wrongstate", "a site of group " + gname + " is INSTANTIATING: resume the existing masters with"
                                                            + " DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS");
            }
            release(gname);
            return "Group " + gname + " is NORMAL again.";
         }
         default -> {
            return offline(p, gname, args, caller);
         }
      }
   }

   private String offline(String p, String gname, Map<String, Object> args, Caller caller) throws SQLException
   {
      final String newSite = name(args, "new_site");
      final ControlDb.Group g = control.group(gname);
      if (g == null) {
         throw new RepException(-23373, "missingrepgroup", "group " + gname + " does not exist");
      }
      final String state = control.groupMasters(gname).get(newSite);
      switch (p) {
         case "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS", "DBMS_OFFLINE_OG.END_INSTANTIATION" -> {
            if (!g.masterdef().equals(caller.site())) {
               throw new RepException(-23312, "nonmasterdef", p + " must be called from the master definition site " + g.masterdef()
                                                             + (caller.site() == null ? " (the call names no site)" : ", not from " + caller.site()));
            }
            if (MasterState.ACTIVE.name().equals(state)) {
               throw new RepException(-23432, "sitealreadyexists", newSite + " is already an instantiated master site of group " + gname);
            }
         }
         case "DBMS_OFFLINE_OG.BEGIN_LOAD", "DBMS_OFFLINE_OG.END_LOAD" -> {
            if (!newSite.equals(caller.site())) {
               throw new RepException(-23433, "wrongsite", p + " must be executed at the new site " + newSite
                                                          + (caller.site() == null ? " (the call names no site)" : ", not at " + caller.site()));
            }
         }
         default -> throw new IllegalArgumentException("unknown procedure " + p);
      }
      switch (p) {
         case "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION" -> {
            expect(gname, g, newSite, state, MasterState.ADDED, "QUIESCED", "call DBMS_REPCAT.ADD_MASTER_DATABASE and SUSPEND_MASTER_ACTIVITY first");
            connectionTo(newSite).startAt(queue.endPosition()); // quiesced and drained: the export will hold all queued so far
            to(gname, newSite, MasterState.ADDED, MasterState.INSTANTIATING);
            return "Offline instantiation of " + newSite + " in group " + gname + " begun: export the group's tables from any master now.";
         }
         case "DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS" -> {
            expect(gname, g, newSite, state, MasterState.INSTANTIATING, "QUIESCED", "call BEGIN_INSTANTIATION first");
            release(gname);
            return "The existing masters of group " + gname + " replicate again; changes for " + newSite + " stay queued.";
         }
         case "DBMS_OFFLINE_OG.BEGIN_LOAD" -> {
            expect(gname, g, newSite, state, MasterState.INSTANTIATING, "NORMAL", "call RESUME_SUBSET_OF_MASTERS at the master definition site first");
            to(gname, newSite, MasterState.INSTANTIATING, MasterState.LOADING);
            return "Load of " + newSite + " begun: import the export now (replkit import: it is not captured).";
         }
         case "DBMS_OFFLINE_OG.END_LOAD" -> {
            expect(gname, g, newSite, state, MasterState.LOADING, "NORMAL", "call BEGIN_LOAD first");
            to(gname, newSite, MasterState.LOADING, MasterState.LOADED);
            return "Load of " + newSite + " ended.";
         }
         default -> { // END_INSTANTIATION
            expect(gname, g, newSite, state, MasterState.LOADED, "NORMAL", "call END_LOAD at the new site first");
            to(gname, newSite, MasterState.LOADED, MasterState.ACTIVE);
            connectionTo(newSite).release();
            return "Instantiation of " + newSite + " ended: the changes queued for it are being delivered.";
         }
      }
   }

   /** The one place a master's instantiation state changes. */
   private void to(String gname, String site, MasterState from, MasterState next) throws SQLException
   {
      final String now = control.groupMasters(gname).get(site);
      if (from == null ? now != null : !from.name().equals(now)) {
         throw new RepException(-23431, "wrongstate", "site " + site + " of group " + gname + " is " + (now == null ? "not a master" : now)
                                                      + ", expected " + (from == null ? "none" : from));
      }
      control.masterState(gname, site, next.name());
      LOG.info("group {}: site {} {} -> {}", gname, site, from == null ? "(new)" : from, next);
   }

   private static void expect(String gname, ControlDb.Group g, String site, String state, MasterState wanted, String groupState, String hint)
   {
      if (!wanted.name().equals(state) || !g.state().equals(groupState)) {
         throw new RepException(-23431, "wrongstate", "group " + gname + " is " + g.state() + " and site " + site + " is "
                                                      + (state == null ? "not a master of it" : state) + "; expected group " + groupState
                                                      + " and site " + wanted + ": " + hint);
      }
   }

   private ControlDb.Group masterdef(String gname, Caller caller, String p) throws SQLException
   {
      final ControlDb.Group g = control.group(gname);
      if (g == null) {
         throw new RepException(-23373, "missingrepgroup", "group " + gname + " does not exist");
      }
      if (!g.masterdef().equals(caller.site())) {
         throw new RepException(-23312, "nonmasterdef", p + " must be called from the master definition site " + g.masterdef()
                                                       + (caller.site() == null ? " (the call names no site)" : ", not from " + caller.site()));
      }
      return g;
   }

   private void privileged(String p, Caller caller)
   {
      if (caller.user() != null && !config.administrators().contains(caller.user())) {
         throw new RepException(-1031, "insufficient privileges", "user " + caller.user() + " may not execute " + p.substring(0, p.indexOf('.'))
                                                                 + ": only the administrators listed in the server configuration (administrators:) may");
      }
   }

   private static String name(Map<String, Object> args, String key)
   {
      final Object v = args.get(key);
      if (v == null || v.toString().isBlank()) {
         throw new RepException(-23430, "badargument", key + " is NULL or ' '");
      }
      return v.toString().strip();
   }

   private ServerConfig.Site site(String name)
   {
      final ServerConfig.Site s = config.site(name);
      if (s == null) {
         throw new RepException(-23430, "badargument", "site " + name + " is not configured; the sites are "
                                                       + config.sites().stream().map(ServerConfig.Site::name).toList());
      }
      return s;
   }

   private Dsi connectionTo(String site)
   {
      final ServerConfig.Conn c = config.connectionTo(site);
      if (c == null) {
         throw new RepException(-23430, "badargument", "no connection delivers to site " + site + ": configure one with 'site: " + site
                                                       + "' and 'from:' the other masters");
      }
      return dsis.get(c.name());
   }

   // ---- quiesce

   private List<String> activeMasters(String gname) throws SQLException
   {
      final List<String> out = new ArrayList<>();
      control.groupMasters(gname).forEach((site, state) -> {
         if (state.equals(MasterState.ACTIVE.name())) {
            out.add(site);
         }
      });
      return out;
   }

   /**
    * Refuses writes at every active master, then waits until everything written before reached every
    * active master: each master's log read up to its end, each connection to a master drained.
    */
   private void quiesce(String gname) throws SQLException
   {
      final List<String> masters = activeMasters(gname);
      final Map<String, Long> ends = new java.util.LinkedHashMap<>();
      try {
         for (String m : masters) {
            try (Connection c = connect(m)) {
               Quiesce.install(c, gname, tables(c, gname));
               final Dialect d = Dialect.of(c);
               ends.put(m, new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), m).position(c));
            }
         }
         control.groupState(gname, "QUIESCED");
         final long until = System.currentTimeMillis() + QUIESCE_WAIT_MS;
         for (Map.Entry<String, Long> e : ends.entrySet()) {
            Oqid got;
            while (((got = queue.lastReceived(e.getKey())) == null ? 0 : got.seq()) < e.getValue()) {
               waitOrFail(until, gname, "the log reader of " + e.getKey() + " is at " + (got == null ? 0 : got.seq()) + " of " + e.getValue());
            }
         }
         for (String m : masters) {
            final ServerConfig.Conn cn = config.connectionTo(m);
            final Dsi d = cn == null ? null : dsis.get(cn.name());
            for (Map.Entry<String, Long> e : ends.entrySet()) {
               // every other master's changes up to its end have been applied here (traffic outside the group does not delay this)
               while (d != null && !e.getKey().equals(m) && cn.from().contains(e.getKey()) && d.lastCommitted(e.getKey()) < e.getValue()) {
                  waitOrFail(until, gname, "connection " + cn.name() + " (" + d.state() + ") has applied " + e.getKey() + " up to "
                                           + d.lastCommitted(e.getKey()) + " of " + e.getValue());
               }
            }
         }
         LOG.info("group {} quiesced at {}", gname, masters);
      }
      catch (RuntimeException | SQLException e) {
         release(gname); // nothing half-done: the group stays NORMAL
         throw e;
      }
   }

   private static void waitOrFail(long until, String gname, String what)
   {
      if (System.currentTimeMillis() > until) {
         throw new IllegalStateException("group " + gname + " could not be quiesced within " + QUIESCE_WAIT_MS / 1000 + " s: " + what
                                         + ". The group stays NORMAL; fix that connection and call SUSPEND_MASTER_ACTIVITY again");
      }
      try {
         Thread.sleep(50);
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
         throw new IllegalStateException("interrupted while quiescing group " + gname, e);
      }
   }

   /** Writes allowed again at every active master; the group is NORMAL. */
   private void release(String gname) throws SQLException
   {
      for (String m : activeMasters(gname)) {
         try (Connection c = connect(m)) {
            Quiesce.release(c, gname, tables(c, gname));
         }
      }
      control.groupState(gname, "NORMAL");
   }

   /** The group's tables as this site names them. */
   private List<String[]> tables(Connection c, String gname) throws SQLException
   {
      final List<String[]> out = new ArrayList<>();
      for (String[] t : control.groupObjects(gname)) {
         out.add(resolve(c, t[0], t[1]));
      }
      return out;
   }

   /**
    * A group table at a site: in the schema the group names, else in the site's own schema (masters of
    * different kinds name schemas differently), matched without regard to case.
    */
   static String[] resolve(Connection c, String sname, String oname) throws SQLException
   {
      final TableCopy.TableName t = TableCopy.find(c, sname, oname);
      if (t == null) {
         throw new RepException(-23430, "badargument", "table " + sname + "." + oname + " does not exist at " + Dialect.redact(c.getMetaData().getURL()));
      }
      return new String[] {t.schema(), t.name()};
   }

   private Connection connect(String site) throws SQLException
   {
      final Connection c = ReplicationServer.connect(site(site).db(), "master " + site);
      c.setAutoCommit(true);
      return c;
   }
}
