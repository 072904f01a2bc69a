package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checksums are what Liquibase compares on every run: they must not move when an optional attribute is written out
 * with its default, nor between XML, YAML and JSON, nor between Liquibase 4.33 and 5.0 (this class also runs in
 * liquibase-ext-it5).
 */
class ChecksumTest
{
   @TempDir
   Path dir;

   /** Verified independently with a skeleton extension on 4.33.0, 5.0.0 and 5.0.4 (shared/notes/liquibase.md). */
   @Test
   void beginLoadChecksumIsTheOneLiquibaseComputesForThatChange() throws Exception
   {
      final Lb lb = new Lb(dir);
      assertEquals(List.of("9:612b81b8ae87ca44c9d7da941f9708f2"), lb.checksums(lb.xml("bl.xml", "<rk:beginLoad gname=\"SPROCKET\" newSite=\"D7NY\"/>")));
   }

   @Test
   void xmlYamlAndJsonGiveTheSameChecksums() throws Exception
   {
      final Lb lb = new Lb(dir);
      final List<String> xml = lb.checksums("rk/all.xml");
      assertEquals(UpdateSqlTest.ALL.size(), xml.size());
      assertEquals(xml, lb.checksums("rk/all.yaml"));
      assertEquals(xml, lb.checksums("rk/all.json"));
   }

   @Test
   void optionalAttributesWrittenWithTheirDefaultKeepTheChecksum() throws Exception
   {
      final Lb lb = new Lb(dir);
      final String url = "jdbc:replkit:h2:mem:x";
      final String[][] pairs = {
            {"<rk:resyncMarker site=\"pdb\"/>", "<rk:resyncMarker site=\"pdb\" mode=\"none\"/>"},
            {"<rk:resumeConnection connection=\"ds.db\"/>", "<rk:resumeConnection connection=\"ds.db\" skipToResyncMarker=\"false\" skipTransaction=\"false\"/>"},
            {"<rk:hotstandbyCopy/>", "<rk:hotstandbyCopy netcopy=\"false\"/>"},
            {"<rk:snapshot snapplan=\"p\"/>", "<rk:snapshot snapplan=\"p\" option=\"snapshot\"/>"},
            {"<rk:verifyReplicas sourceUrl=\"jdbc:h2:mem:a\" targetUrl=\"jdbc:h2:mem:b\"/>",
             "<rk:verifyReplicas sourceUrl=\"jdbc:h2:mem:a\" targetUrl=\"jdbc:h2:mem:b\" chunkSize=\"1000\"/>"},
            {"<rk:hotstandbySync primaryUrl=\"" + url + "\" secondaryUrl=\"jdbc:h2:mem:b\"/>",
             "<rk:hotstandbySync primaryUrl=\"" + url + "\" secondaryUrl=\"jdbc:h2:mem:b\" mode=\"catchup\" timeoutSeconds=\"600\"/>"},
            {"<rk:resyncFromDump site=\"pdb\" connection=\"ds.db\" primaryUrl=\"" + url + "\" replicateUrl=\"jdbc:h2:mem:r\" controlUrl=\"jdbc:h2:mem:c\" dumpDir=\"d\"/>",
             "<rk:resyncFromDump site=\"pdb\" connection=\"ds.db\" primaryUrl=\"" + url + "\" replicateUrl=\"jdbc:h2:mem:r\" controlUrl=\"jdbc:h2:mem:c\" dumpDir=\"d\""
             + " truncationMoved=\"false\" timeoutSeconds=\"600\"/>"},
      };
      for (String[] p : pairs) {
         assertEquals(lb.checksums(lb.xml("a.xml", p[0])), lb.checksums(lb.xml("b.xml", p[1])), p[1]);
      }
      // YAML is not checked against the XSD: any spelling of the default is the default
      assertEquals(lb.checksums(lb.xml("a.xml", "<rk:resumeConnection connection=\"ds.db\"/>")),
                   lb.checksums(lb.write("c.yaml", "databaseChangeLog:\n  - changeSet:\n      id: \"1\"\n      author: rk\n      changes:\n"
                                                   + "        - resumeConnection: {connection: ds.db, skipTransaction: FALSE, skipToResyncMarker: \" false \"}\n")));
      // and a value other than the default is part of the checksum
      assertNotEquals(lb.checksums(lb.xml("a.xml", "<rk:resyncMarker site=\"pdb\"/>")), lb.checksums(lb.xml("b.xml", "<rk:resyncMarker site=\"pdb\" mode=\"purge\"/>")));
      assertNotEquals(lb.checksums(lb.xml("a.xml", "<rk:hotstandbyCopy/>")), lb.checksums(lb.xml("b.xml", "<rk:hotstandbyCopy netcopy=\"true\"/>")));
   }
}
