package org.replkit.server;

import org.replkit.core.control.ControlDb;
import org.replkit.core.copy.CopyProgress;
import org.replkit.core.copy.MasterExport;
import org.replkit.core.copy.TableCopy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Seed 004 steps 4 and 7: {@code replkit export} of a replication group's tables from any master, with
 * where its data stands for every master, and {@code replkit import} of it into the new master site.
 */
final class Instantiation
{
   private Instantiation()
   {
   }

   /** Exports group {@code gname}'s tables from master {@code site} to {@code dir}; returns the positions recorded. */
   static Map<String, Long> export(ServerConfig cfg, ControlDb control, String gname, String site, Path dir, CopyProgress progress)
      throws Exception
   {
      final ControlDb.Group g = control.group(gname);
      if (g == null) {
         throw new IllegalArgumentException("group " + gname + " does not exist in the control database");
      }
      final ServerConfig.Site s = site(cfg, site);
      try (Connection c = ReplicationServer.connect(s.db(), "master " + site); Connection probe = ReplicationServer.connect(s.db(), "master " + site)) {
         final List<TableCopy.TableName> tables = new ArrayList<>();
         for (String[] t : control.groupObjects(gname)) {
            final String[] at = Groups.resolve(c, t[0], t[1]);
            tables.add(new TableCopy.TableName(at[0], at[1]));
         }
         return MasterExport.export(c, probe, site, tables, dir, progress);
      }
   }

   /** Loads an export into master {@code site}, not captured; returns the positions written to its rs_lastcommit. */
   static Map<String, Long> load(ServerConfig cfg, String site, Path dir, CopyProgress progress) throws Exception
   {
      try (Connection c = ReplicationServer.connect(site(cfg, site).db(), "new master " + site)) {
         return MasterExport.load(dir, c, progress);
      }
   }

   /** A native dump of master {@code fromSite} already loaded into {@code site}: adopt it (see {@link MasterExport#adoptNative}). */
   static Map<String, Long> adoptNative(ServerConfig cfg, String site, String fromSite) throws Exception
   {
      site(cfg, fromSite);
      try (Connection c = ReplicationServer.connect(site(cfg, site).db(), "new master " + site)) {
         final Map<String, Long> positions = MasterExport.adoptNative(c, fromSite);
         c.setAutoCommit(true);
         org.replkit.jdbc.capture.Quiesce.releaseAll(c); // the dump was taken while the group was quiesced
         return positions;
      }
   }

   private static ServerConfig.Site site(ServerConfig cfg, String name)
   {
      final ServerConfig.Site s = cfg.site(name);
      if (s == null) {
         throw new IllegalArgumentException("unknown site '" + name + "'; the sites are " + cfg.sites().stream().map(ServerConfig.Site::name).toList());
      }
      return s;
   }

   private static CopyProgress printing()
   {
      return p -> System.err.printf("%,d rows, %,d bytes (%,.0f rows/s)%n", p.rows(), p.bytes(), p.rowsPerSecond());
   }

   @Command(name = "export", description = {"Exports a replication group's tables from a master site, with where its data stands for every master",
                                            "(seed 004 step 4: run it between BEGIN_INSTANTIATION and RESUME_SUBSET_OF_MASTERS)."})
   static final class ExportCmd implements Callable<Integer>
   {
      @Mixin
      Main.ControlOptions where = new Main.ControlOptions();

      @Option(names = "--group", required = true, description = "the replication group")
      String group;

      @Option(names = "--site", required = true, description = "the master to export from (any master of the group)")
      String site;

      @Option(names = "--dir", required = true, description = "the export directory (created)")
      Path dir;

      @Override
      public Integer call() throws Exception
      {
         final ServerConfig cfg = ServerConfig.load(where.config);
         try (ControlDb control = where.open()) {
            System.out.println("exported; positions " + export(cfg, control, group, site, dir, printing()));
            return 0;
         }
      }
   }

   @Command(name = "import", description = {"Loads an export into a new master site without capturing it, and records where its data stands",
                                            "(seed 004 step 7: between BEGIN_LOAD and END_LOAD)."})
   static final class ImportCmd implements Callable<Integer>
   {
      @Option(names = {"-c", "--config"}, description = "server configuration file (default: ${DEFAULT-VALUE})", defaultValue = "replkit.yaml")
      Path config;

      @Option(names = "--site", required = true, description = "the new master site")
      String site;

      @Option(names = "--dir", description = "the export directory ('replkit export')")
      Path dir;

      @Option(names = "--native-from", description = {"instead of --dir: a native dump of this master site (pg_dump, mariadb-dump with the",
                                                      "change-log database, a snapshot) was loaded into --site; record where it stands and empty",
                                                      "its copy of that master's change log"})
      String nativeFrom;

      @Override
      public Integer call() throws Exception
      {
         if ((dir == null) == (nativeFrom == null)) {
            throw new IllegalArgumentException("give either --dir (a 'replkit export') or --native-from SITE (a native dump already loaded)");
         }
         final ServerConfig cfg = ServerConfig.load(config);
         System.out.println("imported; positions " + (dir != null ? load(cfg, site, dir, printing()) : adoptNative(cfg, site, nativeFrom)));
         return 0;
      }
   }
}
