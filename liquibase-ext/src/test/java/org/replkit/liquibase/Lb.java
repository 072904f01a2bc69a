package org.replkit.liquibase;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.ChecksumVersion;
import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.FastCheckService;
import liquibase.command.CommandScope;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.CompositeResourceAccessor;
import liquibase.resource.DirectoryResourceAccessor;
import liquibase.resource.ResourceAccessor;
import liquibase.ui.LoggerUIService;

/**
 * Runs the real Liquibase commands (CommandScope, by their public names) and parser on changelogs written to a
 * directory or on the class path, the way the Liquibase CLI and Maven plugin do.
 */
final class Lb
{
   static final String XML_HEAD = """
         <?xml version="1.0" encoding="UTF-8"?>
         <databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             xmlns:rk="http://replkit.org/xml/ns/liquibase"
             xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd
                 http://replkit.org/xml/ns/liquibase http://replkit.org/xml/ns/liquibase/replkit-liquibase-1.0.xsd">
         """;

   /** Liquibase logs through java.util.logging; keep its chatter and the stack traces of expected failures out of the build output. */
   private static final java.util.logging.Logger LIQUIBASE_LOG = java.util.logging.Logger.getLogger("liquibase");

   static {
      LIQUIBASE_LOG.setLevel(java.util.logging.Level.OFF); // a failing command still reaches the test as its exception
   }

   private final Path dir;

   Lb(Path dir)
   {
      this.dir = dir;
   }

   /** An XML changelog of the given changesets (bodies between the changeSet tags), written as {@code name}. */
   String xml(String name, String... changeSets) throws IOException
   {
      final var sb = new StringBuilder(XML_HEAD);
      for (int i = 0; i < changeSets.length; i++) {
         sb.append("  <changeSet id=\"").append(i + 1).append("\" author=\"rk\">\n    ").append(changeSets[i]).append("\n  </changeSet>\n");
      }
      sb.append("</databaseChangeLog>\n");
      return write(name, sb.toString());
   }

   String write(String name, String text) throws IOException
   {
      Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
      return name;
   }

   private ResourceAccessor accessor() throws IOException
   {
      return new CompositeResourceAccessor(new DirectoryResourceAccessor(dir), new ClassLoaderResourceAccessor());
   }

   /** Runs a command (e.g. "updateSql") and returns what it wrote to its output. */
   String command(String name, String url, String changelog, Object... moreArgs) throws Exception
   {
      final Map<String, Object> args = new LinkedHashMap<>();
      args.put("url", url);
      args.put("changelogFile", changelog);
      if (url.startsWith("jdbc:replkit:")) {
         args.put("driver", "org.replkit.jdbc.ReplKitDriver"); // Liquibase does not know the prefix (README: --driver)
      }
      for (int i = 0; i < moreArgs.length; i += 2) {
         args.put((String) moreArgs[i], moreArgs[i + 1]);
      }
      final ByteArrayOutputStream out = new ByteArrayOutputStream();
      // each command stands for a fresh CLI run: Liquibase otherwise remembers within the JVM that a database was up to
      // date with a changelog, and skips the changesets a test has since added to the same file
      Scope.getCurrentScope().getSingleton(FastCheckService.class).clearCache();
      // the UI (progress lines, Liquibase's error banner) goes to the log, not the test output
      Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), accessor(), Scope.Attr.ui.name(), new LoggerUIService()), () -> {
         final CommandScope cs = new CommandScope(name);
         args.forEach(cs::addArgumentValue);
         cs.setOutput(out);
         cs.execute();
      });
      return out.toString(StandardCharsets.UTF_8);
   }

   DatabaseChangeLog parse(String changelog) throws Exception
   {
      final ResourceAccessor ra = accessor();
      return Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), ra),
                         () -> ChangeLogParserFactory.getInstance().getParser(changelog, ra).parse(changelog, new ChangeLogParameters(), ra));
   }

   /** The changeset checksums of a changelog, in order, as Liquibase stores them. */
   List<String> checksums(String changelog) throws Exception
   {
      return parse(changelog).getChangeSets().stream().map((ChangeSet cs) -> cs.generateCheckSum(ChecksumVersion.latest()).toString()).toList();
   }

   /** The message of an exception and all its causes, for asserting what a user is shown. */
   static String messages(Throwable t)
   {
      final var sb = new StringBuilder();
      for (Throwable c = t; c != null; c = c.getCause()) {
         sb.append(c.getMessage()).append('\n');
      }
      return sb.toString();
   }
}
