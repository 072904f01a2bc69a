package org.replkit.liquibase;

import liquibase.parser.LiquibaseParser;
import liquibase.parser.NamespaceDetails;
import liquibase.serializer.LiquibaseSerializer;
import liquibase.serializer.core.xml.XMLChangeLogSerializer;

/**
 * Lets Liquibase write ReplKit changes as XML ({@code generate-changelog}, {@code diff-changelog}) with the
 * {@code rk} prefix and the XSD's location. Parsing needs none of this: Liquibase finds change types by element
 * name, and the XSD by its location, which is packaged at the lower-case path its URL names.
 */
public final class ReplKitNamespaceDetails implements NamespaceDetails
{
   public static final String SCHEMA_URL = "http://replkit.org/xml/ns/liquibase/replkit-liquibase-1.0.xsd";

   @Override
   public int getPriority()
   {
      return PRIORITY_EXTENSION;
   }

   @Override
   public boolean supports(LiquibaseSerializer serializer, String namespace)
   {
      return serializer instanceof XMLChangeLogSerializer && ReplKitChange.NAMESPACE.equals(namespace);
   }

   @Override
   public boolean supports(LiquibaseParser parser, String namespace)
   {
      return ReplKitChange.NAMESPACE.equals(namespace);
   }

   @Override
   public String getShortName(String namespaceOrUrl)
   {
      return "rk";
   }

   @Override
   public String getSchemaUrl(String namespaceOrUrl)
   {
      return SCHEMA_URL;
   }

   @Override
   public String[] getNamespaces()
   {
      return new String[]{ReplKitChange.NAMESPACE};
   }
}
