package org.replkit.server.standby;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.LogMeta;
import org.replkit.core.copy.TableCopy;
import org.replkit.server.standby.StandbyPair.State;
import org.replkit.testing.TestDatabases.Kind;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.*;

/** Seed 003 on real databases: catchup after an outage, STANDALONE and the full copy, a difference found, retention, wrong states. */
class StandbyPairTest
{
   @ParameterizedTest(name = "{0} pair, primary also a site: {1}")
   @CsvSource({"H2, false", "POSTGRESQL, true"})
   void aStoppedSecondaryCatchesUpWhileClientsKeepCommitting(Kind kind, boolean asSite, @TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(kind, kind, dir, asSite, 1_000_000)) {
         assertEquals(State.STANDALONE, h.pair().state(), "a new pair: the secondary has no copy yet");
         final String fresh = h.refused("hotstandby connect");
         assertTrue(fresh.contains("STANDALONE") && fresh.contains(Standby.NEEDS_COPY), fresh);

         final String copy = h.cmd("ADMIN COMMAND 'hotstandby netcopy'");
         assertTrue(copy.contains("2 tables were overwritten") && copy.contains("10,000 rows"), copy);
         assertEquals(State.PRIMARY_ALONE, h.pair().state());
         try (Hsb.Writer w = h.writer()) {
            final String connect = h.cmd("hotstandby connect");
            assertTrue(connect.startsWith("Connected: the pair is PRIMARY ACTIVE / SECONDARY ACTIVE."), connect);
            assertTrue(connect.contains("catchup chosen") && connect.contains("the databases are identical at position"), connect);
            assertEquals(State.SECONDARY_ACTIVE, h.pair().secondaryState());
            Thread.sleep(300); // shipping while the client commits
         }

         h.secondary.stop();
         h.awaitState(State.PRIMARY_ALONE); // noticed without a transaction to ship
         assertTrue(h.pair().describe().contains("unreachable"), h.pair().describe());
         final long floor = Long.parseLong(h.meta(LogMeta.STANDBY_RECEIVED));
         h.write(50);
         Thread.sleep(1500); // truncation runs every second: it must stop at the floor
         try (Connection c = h.primary.connect()) {
            final Dialect d = Dialect.of(c);
            final ChangeLogReader reader = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "S1");
            assertTrue(reader.position(c) >= floor + 50);
            assertTrue(reader.truncatedTo(c) <= floor, "the log was truncated to " + reader.truncatedTo(c) + ", past the secondary's " + floor);
         }
         final String unreachable = h.refused("hotstandby connect");
         assertTrue(unreachable.contains("cannot reach the secondary") && unreachable.contains("PRIMARY ALONE"), unreachable);

         h.secondary.start();
         try (Hsb.Writer w = h.writer()) {
            final String back = h.cmd("hotstandby connect");
            assertTrue(back.contains("catchup chosen") && back.contains("Catchup: "), back);
            assertEquals(State.PRIMARY_ACTIVE, h.pair().state());
         }
         h.assertIdentical();
      }
   }

   @Test
   void aStandalonePrimaryRefusesCatchupAndANetcopyBringsTheSecondaryBack(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.POSTGRESQL, Kind.POSTGRESQL, dir, false, 1_000_000)) {
         h.connected();
         h.write(20);
         final String standalone = h.cmd("hotstandby set standalone");
         assertTrue(standalone.contains("STANDALONE") && standalone.contains(Standby.NEEDS_COPY), standalone);
         assertNull(h.meta(LogMeta.STANDBY_RECEIVED), "STANDALONE keeps no log: the floor is gone");
         h.write(30);
         final String refused = h.refused("hotstandby connect");
         assertTrue(refused.startsWith("hotstandby connect: the pair is STANDALONE") && refused.contains("catchup is impossible")
                    && refused.contains(Standby.NEEDS_COPY) && refused.contains("'hotstandby netcopy'"), refused);
         // even after 'set primary alone' the transactions committed while STANDALONE are missing
         assertTrue(h.cmd("hotstandby set primary alone").contains(Standby.NEEDS_COPY));
         final String still = h.refused("hotstandby connect");
         assertTrue(still.contains("was STANDALONE") && still.contains(Standby.NEEDS_COPY), still);
         try (Hsb.Writer w = h.writer()) {
            final String copy = h.cmd("hotstandby netcopy");
            assertTrue(copy.contains("overwritten"), copy);
            final String connect = h.cmd("hotstandby connect");
            assertTrue(connect.startsWith("Connected"), connect);
         }
         h.assertIdentical();
      }
   }

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"H2", "MARIADB"})
   void catchupReportsASecondaryChangedBehindReplKitsBack(Kind kind, @TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(kind, kind, dir, false, 1_000_000)) {
         h.connected();
         final String disc = h.cmd("hotstandby disconnect");
         assertTrue(disc.startsWith("The pair is PRIMARY ALONE / SECONDARY ALONE"), disc);
         h.secondary.db.exec("UPDATE item SET note = 'changed' WHERE id = 7", "DELETE FROM item WHERE id = 8");
         h.write(20); // items above 100 only: replaying finds every row it touches
         final String differs = h.refused("hotstandby connect");
         assertTrue(differs.contains("HotStandby databases are not properly synchronized"), differs);
         final String keys = differs.toLowerCase(java.util.Locale.ROOT);
         assertTrue(keys.contains("id=7 (differs in note)") && keys.contains("id=8 (missing at the target)"), differs);
         assertTrue(differs.contains(Standby.NEEDS_COPY), differs);
         assertEquals(State.PRIMARY_ALONE, h.pair().state(), "a failed connect changes nothing");
         assertTrue(h.cmd("hotstandby state").contains("last: hotstandby connect failed"));
         h.cmd("hotstandby netcopy");
         h.cmd("hotstandby connect");
         h.assertIdentical();
      }
   }

   @Test
   void theKeptLogOverItsLimitGoesStandaloneAndFreesTheLog(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.H2, Kind.H2, dir, true, 30)) {
         h.connected();
         h.cmd("hotstandby disconnect");
         h.write(25);
         Thread.sleep(500);
         assertEquals(State.PRIMARY_ALONE, h.pair().state(), "25 transactions are within maxLogTransactions 30");
         assertTrue(h.pair().describe().contains("25 transactions"), h.pair().describe());
         h.write(10);
         h.awaitState(State.STANDALONE);
         assertTrue(h.pair().describe().contains("over maxLogTransactions 30"), h.pair().describe());
         assertNull(h.meta(LogMeta.STANDBY_RECEIVED));
         assertEquals("STANDALONE", h.meta(StandbyPair.STATE), "the state is recorded in the primary");
         try (Connection c = h.primary.connect()) {
            final ChangeLogReader reader = new ChangeLogReader(new ChangeLogSchema(Dialect.H2, "replkit"), "S1");
            reader.truncate(c, reader.position(c));
            assertEquals(reader.position(c), reader.truncatedTo(c), "without the floor the log is truncated fully");
         }
         final String refused = h.refused("hotstandby connect");
         assertTrue(refused.contains("over maxLogTransactions 30") && refused.contains(Standby.NEEDS_COPY), refused);
      }
   }

   @Test
   void connectChoosesAFullCopyWhenItIsEstimatedFaster(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.H2, Kind.H2, dir, false, 1_000_000, 200)) {
         h.connected();
         h.cmd("hotstandby disconnect");
         // 20 transactions of 200 rows each: 4000 records to replay against the 200 rows a copy moves
         try (Connection c = java.sql.DriverManager.getConnection(h.primary.replkitUrl("replkit.site=S1")); var st = c.createStatement()) {
            for (int i = 0; i < 20; i++) {
               st.executeUpdate("UPDATE item SET qty = qty + 1");
            }
         }
         final String connect = h.cmd("hotstandby connect");
         assertTrue(connect.contains("catchup of 20 transactions (4,000 records)") && connect.contains("full copy of 2 tables (~200 rows)"), connect);
         assertTrue(connect.contains("full copy chosen") && connect.contains("Full copy (netcopy) done"), connect);
         assertEquals(State.PRIMARY_ACTIVE, h.pair().state());
         h.write(10);
         h.assertIdentical();
      }
   }

   @Test
   void aCopyThroughADirectoryBetweenDifferentDatabases(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.H2, Kind.POSTGRESQL, dir, false, 1_000_000)) {
         final Path export = dir.resolve("export");
         final String copy = h.cmd("hotstandby copy " + export);
         assertTrue(copy.contains("Full copy (copy through " + export + ") done") && copy.contains("overwritten"), copy);
         assertTrue(Files.exists(export.resolve(TableCopy.MANIFEST)));
         try (Hsb.Writer w = h.writer()) {
            assertTrue(h.cmd("hotstandby connect").startsWith("Connected"));
         }
         // DDL ships too, translated for the secondary's kind of database
         try (Connection c = java.sql.DriverManager.getConnection(h.primary.replkitUrl("replkit.site=S1")); var st = c.createStatement()) {
            st.execute("CREATE TABLE extra (id INT PRIMARY KEY, v VARCHAR(10))");
            st.execute("INSERT INTO extra VALUES (1, 'x'), (2, NULL)");
         }
         h.write(10);
         h.assertIdentical();
         try (Connection p = h.primary.connect(); Connection s = h.secondary.db.connect()) {
            final org.replkit.core.verify.Verify.Result r = new org.replkit.core.verify.Verify(p, s, 100).run(java.util.List.of("extra"));
            assertTrue(r.identical(), String.join("\n", r.report()));
         }
      }
   }

   @Test
   void everyCommandInTheWrongStateSaysTheStateAndWhatItExpects(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.H2, Kind.H2, dir, false, 1_000_000)) {
         assertEquals("STANDALONE", h.cmd("hotstandby state").lines().findFirst().orElseThrow());
         assertEquals("STANDALONE", h.cmd("hsb state").lines().findFirst().orElseThrow(), "solidDB's abbreviation");
         String e = h.refused("hotstandby disconnect");
         assertTrue(e.contains("the pair is STANDALONE") && e.contains("expects PRIMARY ACTIVE"), e);
         e = h.refused("hotstandby connect");
         assertTrue(e.contains("the pair is STANDALONE") && e.contains("expects PRIMARY ALONE"), e);
         assertEquals("The pair is already STANDALONE.", h.cmd("hotstandby set standalone"));

         h.cmd("hotstandby set primary alone");
         e = h.refused("hotstandby connect");
         assertTrue(e.contains("catchup is impossible") && e.contains(Standby.NEEDS_COPY), e);
         e = h.refused("hotstandby disconnect");
         assertTrue(e.contains("the pair is PRIMARY ALONE") && e.contains("expects PRIMARY ACTIVE"), e);

         h.connected();
         e = h.refused("hotstandby connect");
         assertTrue(e.contains("already PRIMARY ACTIVE") && e.contains("expects PRIMARY ALONE"), e);
         for (String copy : new String[] {"hotstandby netcopy", "hotstandby copy"}) {
            e = h.refused(copy);
            assertTrue(e.contains("the pair is PRIMARY ACTIVE") && e.contains("expects PRIMARY ALONE or STANDALONE"), e);
         }
         e = h.refused("hotstandby switch primary");
         assertTrue(e.contains("unknown command 'hotstandby switch primary'") && e.contains("hotstandby netcopy"), e);

         h.cmd("hotstandby set primary alone");
         h.secondary.stop();
         e = h.refused("hotstandby netcopy");
         assertTrue(e.contains("cannot reach the secondary") && e.contains("the pair stays PRIMARY ALONE"), e);
         h.secondary.start();
         assertEquals(State.PRIMARY_ALONE, h.pair().state());
      }
   }
}
