package org.replkit.liquibase;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.function.Consumer;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;

import org.replkit.core.control.ControlDb;
import org.replkit.liquibase.ReplKitSql.ResyncMode;
import org.replkit.volume.FlashSnap;
import org.replkit.volume.SnapPlan;
import org.replkit.volume.SnapState;

/**
 * Seed 000: resynchronize a replicate from a dump of the primary taken by a "third-party" utility, which here
 * is a volume-sim snapshot (with {@code snapplan}; the dump point is read from the image) or ReplKit's portable
 * export of one snapshot transaction (the dump point is the snapshot's change-log position, exact while clients
 * commit). The primary keeps taking writes throughout.
 * <pre>
 *    1 primary            suspend log transfer from SITE
 *    2 primary            suspend connection to DS.DB
 *    3 primary            resume connection to DS.DB skip to resync marker      (the DSI is SKIP_TO_RESYNC_MARKER)
 *  4-5 primary            take the dump and its dump point                       (in-process)
 *    6 primary            CALL lr_dump_marker(position => P, site => 'SITE')
 *    7 primary            [ra_init force SITE]  EXEC sp_start_rep_agent 'SITE', 'resync'
 *    8 control database   wait until DS.DB is WAIT_FOR_DUMP_MARKER: the resync marker was processed
 *    9 replicate          apply the dump                                         (in-process, not captured)
 *   10 control database   wait until DS.DB is SUSPENDED at the dump marker (its reloaded position recorded)
 *   11 primary            resume connection to DS.DB
 * </pre>
 * Commands go through the primary's jdbc:replkit: URL; the driver hands them to the replication server.
 */
@DatabaseChange(name = "resyncFromDump", description = "Resynchronize a replicate from a dump of the primary (seed 000)", priority = ChangeMetaData.PRIORITY_DEFAULT)
public final class ResyncFromDumpChange extends CompositeChange
{
   /** The connection states of seed 000's steps 3 and 8 in the control database's rs_connections. */
   static final String SKIP_TO_RESYNC_MARKER = "SKIP_TO_RESYNC_MARKER";
   static final String WAIT_FOR_DUMP_MARKER = "WAIT_FOR_DUMP_MARKER";

   private String site;
   private String connection;
   private String primaryUrl;
   private String replicateUrl;
   private String controlUrl;
   private String dumpDir;
   private String snapplan;
   private String sid;
   private String tables;
   private String truncationMoved;
   private String timeoutSeconds;

   @DatabaseChangeProperty(description = "The primary's site name", exampleValue = "pdb", requiredForDatabase = "all")
   public String getSite()
   {
      return site;
   }

   public void setSite(String v)
   {
      site = trim(v);
   }

   @DatabaseChangeProperty(description = "The replicate's connection dataserver.database", exampleValue = "ds.db", requiredForDatabase = "all")
   public String getConnection()
   {
      return connection;
   }

   public void setConnection(String v)
   {
      connection = trim(v);
   }

   @DatabaseChangeProperty(description = "jdbc:replkit: URL of the primary", exampleValue = "jdbc:replkit:h2:vol:/var/replkit/vols/PRODdg/datavol/PROD", requiredForDatabase = "all")
   public String getPrimaryUrl()
   {
      return primaryUrl;
   }

   public void setPrimaryUrl(String v)
   {
      primaryUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "JDBC URL of the replicate the dump is applied to", exampleValue = "jdbc:postgresql://rep/db", requiredForDatabase = "all")
   public String getReplicateUrl()
   {
      return replicateUrl;
   }

   public void setReplicateUrl(String v)
   {
      replicateUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "JDBC URL of the control database (connection states)", exampleValue = "jdbc:h2:/var/replkit/control", requiredForDatabase = "all")
   public String getControlUrl()
   {
      return controlUrl;
   }

   public void setControlUrl(String v)
   {
      controlUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "Directory of the dump (written from the primary or its snapshot, loaded into the replicate)", exampleValue = "/var/replkit/dump", requiredForDatabase = "all")
   public String getDumpDir()
   {
      return dumpDir;
   }

   public void setDumpDir(String v)
   {
      dumpDir = trim(v);
   }

   @DatabaseChangeProperty(description = "volume-sim snapplan: take the dump as a FlashSnap snapshot of the primary's volumes", exampleValue = "/var/replkit/snapplan")
   public String getSnapplan()
   {
      return snapplan;
   }

   public void setSnapplan(String v)
   {
      snapplan = trim(v);
   }

   @DatabaseChangeProperty(description = "Database name for the snapplan (-S); default its PRIMARY_DB", exampleValue = "PROD")
   public String getSid()
   {
      return sid;
   }

   public void setSid(String v)
   {
      sid = trim(v);
   }

   @DatabaseChangeProperty(description = "Tables to dump, comma-separated; default every table the primary's change log captures", exampleValue = "accounts,orders")
   public String getTables()
   {
      return tables;
   }

   public void setTables(String v)
   {
      tables = trim(v);
   }

   @DatabaseChangeProperty(description = "The truncation point moved since the suspend: ra_init force before resume resync; default false", exampleValue = "true")
   public String getTruncationMoved()
   {
      return truncationMoved;
   }

   public void setTruncationMoved(String v)
   {
      truncationMoved = flag(v);
   }

   @DatabaseChangeProperty(description = "How long to wait for the DSI to suspend at the dump marker; default 600", exampleValue = "120")
   public String getTimeoutSeconds()
   {
      return timeoutSeconds;
   }

   public void setTimeoutSeconds(String v)
   {
      timeoutSeconds = orAbsent(v, "600");
   }

   @Override
   protected void check(List<String> problems)
   {
      super.check(problems);
      add(problems, ReplKitSql.siteProblem("site", site));
      add(problems, ReplKitSql.connectionProblem("connection", connection));
      add(problems, Jdbc.urlProblem("primaryUrl", primaryUrl, true));
      add(problems, Jdbc.urlProblem("replicateUrl", replicateUrl, false));
      add(problems, Jdbc.urlProblem("controlUrl", controlUrl, false));
      required(problems, "dumpDir", dumpDir, "/var/replkit/dump");
      if (sid != null && snapplan == null) {
         problems.add("sid is only used with snapplan");
      }
      add(problems, Jdbc.tablesProblem("tables", tables));
      checkFlag(problems, "truncationMoved", truncationMoved);
      number(problems, "timeoutSeconds", timeoutSeconds, 1, 86_400);
   }

   @Override
   String header()
   {
      return "resyncFromDump of connection " + connection + " from site " + site + " (seed 000)";
   }

   @Override
   String identity()
   {
      return site + " " + connection;
   }

   @Override
   Procedure procedure(Consumer<String> out)
   {
      final String primary = "the primary " + site + " " + Jdbc.redact(primaryUrl);
      final String replicate = "the replicate " + connection + " " + Jdbc.redact(replicateUrl);
      final String control = "the control database " + Jdbc.redact(controlUrl);
      final Path dir = Path.of(dumpDir);
      final List<String> list = Jdbc.tables(tables);
      final String what = list.isEmpty() ? "every table its change log captures" : "tables " + String.join(", ", list);
      final long timeout = timeoutSeconds == null ? 600 : Long.parseLong(timeoutSeconds);
      final Procedure p = new Procedure(name(), procedureIdentity(), out);
      step(p, "1 suspend log transfer", primary, ReplKitSql.suspendLogTransfer(site));
      step(p, "2 suspend connection", primary, ReplKitSql.suspendConnection(connection));
      step(p, "3 resume connection skip to resync marker", primary, ReplKitSql.resumeConnection(connection, true, false));
      if (snapplan != null) {
         final Path plan = Path.of(snapplan);
         p.step("4-5 snapshot and its dump point", primary, "-- vmsnap -f " + plan + " -o snapshot (or -o resync when a snapshot exists), then"
                                                              + " export " + what + " of its clone to " + dir + " (in-process); the dump point is read from the image",
                x -> snapshotDump(plan, list, dir, out).detail());
      }
      else {
         p.step("4-5 dump and its dump point", primary, "-- export " + what + " of the primary to " + dir + " (in-process, one snapshot transaction);"
                                                        + " the dump point is the snapshot's change-log position",
                x -> Copies.exportPrimary(primaryUrl, primary, list, dir, out).detail());
      }
      p.step("6 lr_dump_marker", primary, "-- " + ReplKitSql.dumpMarker(0L, site).replace("position => 0", "position => <the dump point of step 4-5>"), x -> {
         final long position = Copies.Dump.position(x.detail("4-5"));
         sql(primaryUrl, primary, ReplKitSql.dumpMarker(position, site)).run(x);
         return "position=" + position;
      });
      if (isTrue(truncationMoved)) {
         step(p, "7 ra_init force", primary, ReplKitSql.raInitForce(site));
      }
      step(p, "7 resume resync", primary, ReplKitSql.resyncMarker(site, ResyncMode.NONE));
      p.step("8 resync marker processed", control, "-- wait until connection " + connection + " is " + WAIT_FOR_DUMP_MARKER + " (\"DSI for " + connection
                                                   + " received and processed Resync Database Marker. Waiting for Dump Marker.\"), at most " + timeout + " s", x -> {
         try (ControlDb db = new ControlDb(Jdbc.real(controlUrl), null, null)) {
            await(timeout, "connection " + connection + " to receive the resync marker", () -> connectionState(db, control, true));
         }
         return "DSI for " + connection + " received and processed Resync Database Marker. Waiting for Dump Marker.";
      });
      p.step("9 apply the dump", replicate, "-- load " + dir + " into the replicate, replacing its tables of those names (in-process, not captured)",
             x -> Copies.loadReplicate(dir, replicateUrl, replicate, out));
      p.step("10 dump marker processed", control, "-- wait until connection " + connection + " is SUSPENDED at the dump marker (\"DSI for " + connection
                                                  + " received and processed Dump Marker. DSI is now suspended.\"), at most " + timeout + " s", x -> {
         try (ControlDb db = new ControlDb(Jdbc.real(controlUrl), null, null)) {
            await(timeout, "connection " + connection + " to suspend at the dump marker", () -> connectionState(db, control, false));
         }
         return "DSI for " + connection + " received and processed Dump Marker. DSI is now suspended.";
      });
      step(p, "11 resume connection", primary, ReplKitSql.resumeConnection(connection, false, false));
      return p;
   }

   private void step(Procedure p, String label, String where, String sql)
   {
      p.step(label, where, sql, sql(primaryUrl, where, sql));
   }

   /**
    * Null once the connection reached the awaited phase; its state otherwise. Step 8 awaits the resync marker
    * (SKIP_TO_RESYNC_MARKER has become WAIT_FOR_DUMP_MARKER, or already SUSPENDED at the dump marker that may follow
    * at once); step 10 awaits the dump marker (SUSPENDED with the reloaded position recorded). Any other state means
    * the resync was abandoned or failed, which no waiting repairs.
    */
   private String connectionState(ControlDb db, String control, boolean resyncMarker) throws Exception
   {
      final ControlDb.Conn c = db.connection(connection);
      if (c == null) {
         throw new IllegalStateException("connection " + connection + " is not known to " + control);
      }
      final boolean atDumpMarker = c.state().equals("SUSPENDED") && c.reloaded() != null;
      if (atDumpMarker || resyncMarker && c.state().equals(WAIT_FOR_DUMP_MARKER)) {
         return null;
      }
      if (c.state().equals(SKIP_TO_RESYNC_MARKER) || c.state().equals(WAIT_FOR_DUMP_MARKER)) {
         return c.state();
      }
      throw new IllegalStateException("connection " + connection + " is " + c.state() + (c.error() == null ? "" : " (" + c.error() + ")")
                                      + " instead of resynchronizing: the resync was abandoned or failed; start it again with a new changeset");
   }

   /** Snapshot (or refresh) the primary's volumes, then export the snapshot's clone: the dump and its dump point. */
   private Copies.Dump snapshotDump(Path plan, List<String> list, Path dir, Consumer<String> out) throws Exception
   {
      final FlashSnap fs = new FlashSnap(out);
      final SnapPlan sp = SnapPlan.read(plan);
      final String db = sid != null ? sid : sp.database();
      SnapState state = fs.status(db, plan).state();
      if (state == SnapState.NONE) {
         state = fs.validate(db, plan).state();
      }
      final FlashSnap.Snapshot snap = state == SnapState.SNAPSHOT_TAKEN ? fs.resync(db, plan) : fs.snapshot(db, plan);
      if (snap.position() == null) {
         throw new IllegalStateException("snapshot " + snap.name() + " of " + db + " holds no ReplKit change log, so it has no dump point");
      }
      fs.mountClone(db, plan);
      try {
         org.h2.Driver.load(); // snapshots are of H2 databases on simulated volumes
         try (Connection c = DriverManager.getConnection(snap.cloneUrl() + ";IFEXISTS=TRUE", sp.user(), sp.password())) {
            final Copies.Dump d = Copies.exportClone(c, list, dir, out);
            if (d.position() != snap.position()) {
               throw new IllegalStateException("snapshot " + snap.name() + " recorded position " + snap.position() + " but its image holds " + d.position());
            }
            return d;
         }
      }
      finally {
         fs.umountClone(db, plan);
      }
   }
}
