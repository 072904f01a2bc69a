package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import liquibase.change.Change;
import liquibase.changelog.ChangeSet;
import liquibase.serializer.core.string.StringChangeLogSerializer;
import liquibase.serializer.core.xml.XMLChangeLogSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** XML is checked against the packaged XSD, found offline; YAML and JSON changelogs give the same changes. */
class FormatsTest
{
   @TempDir
   Path dir;

   @Test
   void xsdIsPackagedAtTheLowerCasePathOfItsUrl()
   {
      final String url = ReplKitNamespaceDetails.SCHEMA_URL;
      assertEquals(url.substring("http://".length()), "replkit.org/xml/ns/liquibase/replkit-liquibase-1.0.xsd");
      assertTrue(getClass().getClassLoader().getResource("replkit.org/xml/ns/liquibase/replkit-liquibase-1.0.xsd") != null);
   }

   /** Liquibase validates against the XSD (secure parsing: no download), so a misspelt attribute or a wrong value stops the parse. */
   @Test
   void xsdRejectsUnknownAttributesAndWrongValues() throws Exception
   {
      final Lb lb = new Lb(dir);
      final Exception unknown = assertThrows(Exception.class, () -> lb.parse(lb.xml("u.xml", "<rk:dumpMarker positon=\"42\"/>")));
      assertTrue(Lb.messages(unknown).contains("positon"), Lb.messages(unknown));
      final Exception mode = assertThrows(Exception.class, () -> lb.parse(lb.xml("m.xml", "<rk:resyncMarker site=\"pdb\" mode=\"sometimes\"/>")));
      assertTrue(Lb.messages(mode).contains("sometimes"), Lb.messages(mode));
      final Exception site = assertThrows(Exception.class, () -> lb.parse(lb.xml("s.xml", "<rk:suspendLogReader site=\"pdb;drop\"/>")));
      assertTrue(Lb.messages(site).contains("pdb;drop"), Lb.messages(site));
      final Exception missing = assertThrows(Exception.class, () -> lb.parse(lb.xml("r.xml", "<rk:beginLoad gname=\"SPROCKET\"/>")));
      assertTrue(Lb.messages(missing).contains("newSite"), Lb.messages(missing));
      // a changelog property is accepted where a name or number is expected
      assertEquals(1, lb.parse(lb.xml("p.xml", "<rk:dumpMarker position=\"${pos}\" site=\"${site}\"/>")).getChangeSets().size());
   }

   @Test
   void yamlAndJsonParseToTheSameChangesAsXml() throws Exception
   {
      final Lb lb = new Lb(dir);
      final List<String> xml = changes(lb, "rk/all.xml");
      assertEquals(UpdateSqlTest.ALL.size(), xml.size());
      assertEquals(xml, changes(lb, "rk/all.yaml"));
      assertEquals(xml, changes(lb, "rk/all.json"));
      assertEquals("dumpMarker:[\n    position=\"42\"\n    site=\"pdb\"\n]", xml.get(2));
   }

   private static List<String> changes(Lb lb, String changelog) throws Exception
   {
      return lb.parse(changelog).getChangeSets().stream().map(ChangeSet::getChanges).flatMap(List::stream)
               .map((Change c) -> new StringChangeLogSerializer().serialize(c, false)).toList();
   }

   /** Written back as XML (generate-changelog, diff-changelog), a change keeps the rk prefix and the XSD location. */
   @Test
   void xmlSerializerWritesTheNamespace() throws Exception
   {
      final Lb lb = new Lb(dir);
      final ChangeSet cs = lb.parse(lb.xml("w.xml", "<rk:resumeConnection connection=\"ds.db\" skipTransaction=\"true\"/>")).getChangeSets().get(0);
      final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      new XMLChangeLogSerializer().write(List.of(cs), out);
      final String xml = out.toString(java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(xml.contains("<rk:resumeConnection connection=\"ds.db\" skipTransaction=\"true\"/>"), xml);
      assertTrue(xml.contains("xmlns:rk=\"http://replkit.org/xml/ns/liquibase\""), xml);
      assertTrue(xml.contains("http://replkit.org/xml/ns/liquibase " + ReplKitNamespaceDetails.SCHEMA_URL), xml);
   }
}
