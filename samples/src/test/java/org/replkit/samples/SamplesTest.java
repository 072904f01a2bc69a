package org.replkit.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.integration.commandline.LiquibaseCommandLine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.control.ControlDb;
import org.replkit.liquibase.Live;
import org.replkit.server.Main;
import org.replkit.server.ServerConfig;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;
import org.replkit.volume.FlashSnap;
import org.replkit.volume.SnapState;
import org.replkit.volume.VolumeManager;

/**
 * Each sample changelog run by the Liquibase command line (its main class, in this JVM) through the ReplKit driver
 * against a replication server running in the test, on H2 and PostgreSQL, with writes going on where the seed allows
 * them; the end state is checked with {@code replkit verify}.
 */
class SamplesTest
{
   private static final Path CHANGELOGS = Path.of("changelogs").toAbsolutePath();

   @TempDir
   Path dir;

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "POSTGRESQL"})
   void seed000ResyncFromDump(Kind kind) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "s0_p"); TestDb replicate = TestDatabases.create(kind, "s0_r");
           Live live = Live.start(dir, List.of(Live.site("S1", primary)), List.of(Live.replicate(replicate, "S1")), null)) {
         final String url = live.liquibaseUrl(primary, "S1");
         Live.table(url);
         try (Live.Writer writer = new Live.Writer(url, 1000)) {
            writer.awaitCommits(20);
            liquibase(url, "000-resync-from-dump.xml", Map.of("site", "S1", "connection", Live.name(replicate), "primaryUrl", url,
                                                             "replicateUrl", replicate.url(), "controlUrl", live.controlUrl(),
                                                             "dumpDir", dir.resolve("dump").toString()));
            writer.awaitCommits(20);
         }
         final ControlDb.Conn c = live.connection(Live.name(replicate));
         assertEquals("ACTIVE", c.state(), c.error());
         assertTrue(c.rejected() > 0, "the connection rejected what the dump already held");
         Live.awaitCaughtUp(primary, "S1", replicate);
         verify(primary, replicate);
      }
   }

   @Test
   void seed001FlashSnapSnapshotThenResyncAReplicateFromIt() throws Exception
   {
      try (VolumeManager vm = VolumeManager.open(dir.resolve("vols")); TestDb replicate = TestDatabases.create(Kind.H2, "s1_r")) {
         vm.createDiskGroup("PRODdg");
         vm.createVolume("PRODdg", "datavol", 128L << 20);
         final TestDb primary = TestDatabases.at(Kind.H2, "PROD", vm.jdbcUrl("PRODdg", "datavol", "PROD") + ";USER=sa;PASSWORD=");
         final Path plan = dir.resolve("snap1.plan");
         Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol\nSNAPSHOT_NAME=snap1\nSNAPSHOT_MODE=online\nCLUSTERED=no\n");
         try (Live live = Live.start(dir, List.of(Live.site("PROD", primary)), List.of(Live.replicate(replicate, "PROD")), null)) {
            final String url = live.liquibaseUrl(primary, "PROD");
            Live.table(url);
            try (Live.Writer writer = new Live.Writer(url, 1000)) {
               writer.awaitCommits(20);
               liquibase(url, "001-flashsnap.xml", Map.of("snapplan", plan.toString(), "site", "PROD", "connection", Live.name(replicate), "primaryUrl", url,
                                                         "replicateUrl", replicate.url(), "controlUrl", live.controlUrl(),
                                                         "dumpDir", dir.resolve("dump").toString()));
               writer.awaitCommits(20);
            }
            assertEquals(SnapState.SNAPSHOT_TAKEN, new FlashSnap(line -> { }).status("PROD", plan).state(), "the snapshot stays for the next refresh");
            final ControlDb.Conn c = live.connection(Live.name(replicate));
            assertEquals("ACTIVE", c.state(), c.error());
            assertTrue(c.rejected() > 0, "the connection rejected what the snapshot already held");
            assertEquals(5, Live.count(primary, "SELECT COUNT(*) FROM DATABASECHANGELOG"));
            Live.awaitCaughtUp(primary, "PROD", replicate);
            verify(primary, replicate);
         }
      }
   }

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "POSTGRESQL"})
   void seed003HotstandbySyncByNetcopyThenByCatchup(Kind kind) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "s3_p"); TestDb secondary = TestDatabases.create(kind, "s3_s")) {
         secondary.exec("SELECT 1");
         final ServerConfig.Standby hsb = new ServerConfig.Standby("hsb", null, Live.db(primary), Live.db(secondary), 100_000, 64L << 20,
                                                                   dir.resolve("hsb-copy"), 10, 60, 200);
         try (Live live = Live.start(dir, List.of(), List.of(), hsb)) {
            final String url = live.liquibaseUrl(primary, "HP");
            Live.table(url);
            liquibase(url, "003-hotstandby-sync.xml", Map.of("primaryUrl", url, "secondaryUrl", secondary.url(), "syncMode", "netcopy", "sync", "new-secondary"));
            assertEquals("PRIMARY ACTIVE", pairState(live));
            verify(primary, secondary);

            // an outage: the primary keeps committing and keeps its log for the secondary; catchup brings it back
            assertTrue(live.server.admin("hotstandby disconnect").contains("PRIMARY ALONE"));
            try (Live.Writer writer = new Live.Writer(url, 1000)) {
               writer.awaitCommits(50);
            }
            liquibase(url, "003-hotstandby-sync.xml", Map.of("primaryUrl", url, "secondaryUrl", secondary.url(), "syncMode", "catchup", "sync", "outage-1"));
            assertEquals("PRIMARY ACTIVE", pairState(live));
            assertTrue(live.server.standby().pair().describe().contains("catchup done"), live.server.standby().pair().describe());
            verify(primary, secondary);
         }
      }
   }

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "POSTGRESQL"})
   void seed004OfflineInstantiation(Kind kind) throws Exception
   {
      try (TestDb ca = TestDatabases.create(kind, "s4_ca"); TestDb ny = TestDatabases.create(kind, "s4_ny");
           Live live = Live.start(dir, List.of(Live.site("D7CA", ca), Live.site("D7NY", ny)),
                                  List.of(Live.master(ca, "D7CA", "D7NY"), Live.master(ny, "D7NY", "D7CA")), null)) {
         final String atCa = live.liquibaseUrl(ca, "D7CA");
         Live.table(atCa);
         try (Live.Writer writer = new Live.Writer(atCa, 1000)) {
            writer.awaitCommits(20);
            liquibase(atCa, "004-offline-instantiation.xml", Map.of("masterUrl", atCa, "newSiteUrl", live.liquibaseUrl(ny, "D7NY"),
                                                                    "schema", kind == Kind.H2 ? "PUBLIC" : "public", "table", kind == Kind.H2 ? "T" : "t",
                                                                    "exportDir", dir.resolve("export").toString()));
            writer.awaitCommits(20);
            assertTrue(writer.refused.get() > 0, "writes were refused while the group was quiesced");
         }
         Live.awaitCaughtUp(ca, "D7CA", ny);
         verify(ca, ny);
         for (ControlDb.Conn c : live.server.control().connections()) {
            assertEquals("ACTIVE", c.state(), c.name() + ": " + c.error());
         }
      }
   }

   /**
    * {@code liquibase --search-path=changelogs update --changelog-file=F --driver=org.replkit.jdbc.ReplKitDriver --url=U -Dk=v ...};
    * a failure shows what the command line printed.
    */
   private static void liquibase(String url, String changelog, Map<String, String> parameters)
   {
      final List<String> args = new ArrayList<>(List.of("--search-path=" + CHANGELOGS, "--show-banner=false", "--log-level=off", "update",
                                                        "--changelog-file=" + changelog, "--driver=org.replkit.jdbc.ReplKitDriver", "--url=" + url));
      new LinkedHashMap<>(parameters).forEach((k, v) -> args.add("-D" + k + "=" + v));
      final ByteArrayOutputStream out = new ByteArrayOutputStream();
      final PrintStream stdout = System.out;
      final PrintStream stderr = System.err;
      final int rc;
      try (PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8)) {
         System.setOut(both);
         System.setErr(both);
         rc = new LiquibaseCommandLine().execute(args.toArray(String[]::new));
      }
      finally {
         System.setOut(stdout);
         System.setErr(stderr);
      }
      assertEquals(0, rc, () -> "liquibase update " + changelog + " exited " + rc + ":\n" + out.toString(StandardCharsets.UTF_8));
   }

   /** {@code replkit verify}: exit 0 when the two databases are identical. */
   private static void verify(TestDb source, TestDb target)
   {
      assertEquals(0, Main.run("verify", "--source", source.url(), "--target", target.url(), "--table", "t"), "replkit verify: the two differ");
   }

   private static String pairState(Live live)
   {
      return live.server.standby().pair().describe().lines().findFirst().orElse("");
   }
}
