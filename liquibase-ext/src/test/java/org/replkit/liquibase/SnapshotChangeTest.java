package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;
import org.replkit.volume.FlashSnap;
import org.replkit.volume.SnapState;
import org.replkit.volume.VolumeManager;

/** The snapshot change drives volume-sim's FlashSnap under the real update and rollback; update-sql leaves it alone. */
class SnapshotChangeTest
{
   @TempDir
   Path dir;
   VolumeManager vm;
   Path plan;

   @BeforeEach
   void volumes() throws Exception
   {
      vm = VolumeManager.open(dir.resolve("vols"));
      vm.createDiskGroup("PRODdg");
      vm.createVolume("PRODdg", "datavol", 64L << 20);
      try (Connection c = DriverManager.getConnection(vm.jdbcUrl("PRODdg", "datavol", "PROD"), "sa", ""); Statement st = c.createStatement()) {
         st.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL)");
         st.execute("INSERT INTO account VALUES (1, 100)");
      }
      plan = dir.resolve("snapplan");
      Files.writeString(plan, "PRIMARY_DB=PROD\nVOLUME_ROOT=vols\nPRIMARY_DG=PRODdg\nVOLUMES=datavol\nSNAPSHOT_NAME=snap1\nSNAPSHOT_MODE=offline\nCLUSTERED=no\n");
   }

   @AfterEach
   void close()
   {
      vm.close();
   }

   private SnapState state()
   {
      return new FlashSnap(line -> { }).status("PROD", plan).state();
   }

   @Test
   void updateTakesTheSnapshotAndRollbackUnmountsTheClone() throws Exception
   {
      final Lb lb = new Lb(dir);
      final String changelog = lb.xml("snap.xml",
            "<rk:snapshot snapplan=\"" + plan + "\" option=\"validate\"/>",
            "<rk:snapshot snapplan=\"" + plan + "\"/>",
            "<rk:snapshot snapplan=\"" + plan + "\" sid=\"PROD\" option=\"mount\"/>");
      try (TestDb db = TestDatabases.create(Kind.H2, "lbsnap")) {
         lb.command("updateSql", db.url(), changelog);
         assertEquals(SnapState.NONE, state(), "update-sql did nothing");
         lb.command("update", db.url(), changelog);
         assertEquals(SnapState.CLONE_MOUNTED, state());
         lb.command("rollbackCount", db.url(), changelog, "count", 1);
         assertEquals(SnapState.SNAPSHOT_TAKEN, state());
      }
   }
}
