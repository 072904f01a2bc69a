package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/** verifyReplicas under the real update: passes when identical, fails the changeset listing the differing keys. */
class VerifyReplicasTest
{
   @TempDir
   Path dir;

   @Test
   void identicalPassesDifferentFailsWithTheKeys() throws Exception
   {
      try (TestDb lbDb = TestDatabases.create(Kind.H2, "lbver"); TestDb src = TestDatabases.create(Kind.H2, "versrc");
           TestDb tgt = TestDatabases.create(Kind.POSTGRESQL, "vertgt")) {
         src.exec("CREATE TABLE acct (id INT PRIMARY KEY, balance DECIMAL(12,2))", "INSERT INTO acct VALUES (1, 10.00), (2, 20.50), (3, 30)");
         tgt.exec("CREATE TABLE acct (id INT PRIMARY KEY, balance NUMERIC(12,2))", "INSERT INTO acct VALUES (1, 10.00), (2, 20.50), (3, 30)");
         final Lb lb = new Lb(dir);
         final String verify = "<rk:verifyReplicas sourceUrl=\"" + src.url() + "\" targetUrl=\"" + tgt.url() + "\" tables=\"acct\"";
         lb.command("update", lbDb.url(), lb.xml("v.xml", verify + "/>"));
         assertEquals(List.of("1"), UpdateSqlTest.tables(lbDb, "SELECT ID FROM DATABASECHANGELOG"));

         tgt.exec("UPDATE acct SET balance = 21 WHERE id = 2", "DELETE FROM acct WHERE id = 3");
         // the same changeset with its default chunk size written out: same checksum, so it is not run again (it would fail now)
         lb.command("update", lbDb.url(), lb.xml("v.xml", verify + " chunkSize=\"1000\"/>"));

         final Exception e = assertThrows(Exception.class, () -> lb.command("update", lbDb.url(), lb.xml("v.xml", verify + "/>", verify + "/>")));
         final String m = Lb.messages(e);
         assertTrue(m.contains("verifyReplicas: " + tgt.url() + " differs from " + src.url() + ": acct: id=2 (differs in BALANCE); acct: id=3 (missing at the target)"), m);
         assertEquals(List.of("1"), UpdateSqlTest.tables(lbDb, "SELECT ID FROM DATABASECHANGELOG"), "the failed changeset is not recorded");
      }
   }
}
