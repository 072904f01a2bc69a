package org.replkit.jdbc.proxy;

import java.sql.*;

/** Database metadata whose getConnection() returns the ReplKit connection. */
public final class DatabaseMetaDataProxy implements DatabaseMetaData
{
   private final ConnectionProxy connection;
   private final DatabaseMetaData delegate;

   DatabaseMetaDataProxy(ConnectionProxy connection, DatabaseMetaData delegate)
   {
      this.connection = connection;
      this.delegate = delegate;
   }

   @Override
   public Connection getConnection()
   {
      return connection;
   }

   @Override
   public <T> T unwrap(Class<T> iface) throws SQLException
   {
      return Wrappers.unwrap(this, delegate, iface);
   }

   @Override
   public boolean isWrapperFor(Class<?> iface) throws SQLException
   {
      return Wrappers.isWrapperFor(this, delegate, iface);
   }

   // ---- plain delegation ----

   @Override
   public boolean allProceduresAreCallable() throws SQLException
   {
      return delegate.allProceduresAreCallable();
   }

   @Override
   public boolean allTablesAreSelectable() throws SQLException
   {
      return delegate.allTablesAreSelectable();
   }

   @Override
   public boolean autoCommitFailureClosesAllResultSets() throws SQLException
   {
      return delegate.autoCommitFailureClosesAllResultSets();
   }

   @Override
   public boolean dataDefinitionCausesTransactionCommit() throws SQLException
   {
      return delegate.dataDefinitionCausesTransactionCommit();
   }

   @Override
   public boolean dataDefinitionIgnoredInTransactions() throws SQLException
   {
      return delegate.dataDefinitionIgnoredInTransactions();
   }

   @Override
   public boolean deletesAreDetected(int p1) throws SQLException
   {
      return delegate.deletesAreDetected(p1);
   }

   @Override
   public boolean doesMaxRowSizeIncludeBlobs() throws SQLException
   {
      return delegate.doesMaxRowSizeIncludeBlobs();
   }

   @Override
   public boolean generatedKeyAlwaysReturned() throws SQLException
   {
      return delegate.generatedKeyAlwaysReturned();
   }

   @Override
   public ResultSet getAttributes(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getAttributes(p1, p2, p3, p4);
   }

   @Override
   public ResultSet getBestRowIdentifier(String p1, String p2, String p3, int p4, boolean p5) throws SQLException
   {
      return delegate.getBestRowIdentifier(p1, p2, p3, p4, p5);
   }

   @Override
   public String getCatalogSeparator() throws SQLException
   {
      return delegate.getCatalogSeparator();
   }

   @Override
   public String getCatalogTerm() throws SQLException
   {
      return delegate.getCatalogTerm();
   }

   @Override
   public ResultSet getCatalogs() throws SQLException
   {
      return delegate.getCatalogs();
   }

   @Override
   public ResultSet getClientInfoProperties() throws SQLException
   {
      return delegate.getClientInfoProperties();
   }

   @Override
   public ResultSet getColumnPrivileges(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getColumnPrivileges(p1, p2, p3, p4);
   }

   @Override
   public ResultSet getColumns(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getColumns(p1, p2, p3, p4);
   }

   @Override
   public ResultSet getCrossReference(String p1, String p2, String p3, String p4, String p5, String p6) throws SQLException
   {
      return delegate.getCrossReference(p1, p2, p3, p4, p5, p6);
   }

   @Override
   public int getDatabaseMajorVersion() throws SQLException
   {
      return delegate.getDatabaseMajorVersion();
   }

   @Override
   public int getDatabaseMinorVersion() throws SQLException
   {
      return delegate.getDatabaseMinorVersion();
   }

   @Override
   public String getDatabaseProductName() throws SQLException
   {
      return delegate.getDatabaseProductName();
   }

   @Override
   public String getDatabaseProductVersion() throws SQLException
   {
      return delegate.getDatabaseProductVersion();
   }

   @Override
   public int getDefaultTransactionIsolation() throws SQLException
   {
      return delegate.getDefaultTransactionIsolation();
   }

   @Override
   public int getDriverMajorVersion()
   {
      return delegate.getDriverMajorVersion();
   }

   @Override
   public int getDriverMinorVersion()
   {
      return delegate.getDriverMinorVersion();
   }

   @Override
   public String getDriverName() throws SQLException
   {
      return delegate.getDriverName();
   }

   @Override
   public String getDriverVersion() throws SQLException
   {
      return delegate.getDriverVersion();
   }

   @Override
   public ResultSet getExportedKeys(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getExportedKeys(p1, p2, p3);
   }

   @Override
   public String getExtraNameCharacters() throws SQLException
   {
      return delegate.getExtraNameCharacters();
   }

   @Override
   public ResultSet getFunctionColumns(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getFunctionColumns(p1, p2, p3, p4);
   }

   @Override
   public ResultSet getFunctions(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getFunctions(p1, p2, p3);
   }

   @Override
   public String getIdentifierQuoteString() throws SQLException
   {
      return delegate.getIdentifierQuoteString();
   }

   @Override
   public ResultSet getImportedKeys(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getImportedKeys(p1, p2, p3);
   }

   @Override
   public ResultSet getIndexInfo(String p1, String p2, String p3, boolean p4, boolean p5) throws SQLException
   {
      return delegate.getIndexInfo(p1, p2, p3, p4, p5);
   }

   @Override
   public int getJDBCMajorVersion() throws SQLException
   {
      return delegate.getJDBCMajorVersion();
   }

   @Override
   public int getJDBCMinorVersion() throws SQLException
   {
      return delegate.getJDBCMinorVersion();
   }

   @Override
   public int getMaxBinaryLiteralLength() throws SQLException
   {
      return delegate.getMaxBinaryLiteralLength();
   }

   @Override
   public int getMaxCatalogNameLength() throws SQLException
   {
      return delegate.getMaxCatalogNameLength();
   }

   @Override
   public int getMaxCharLiteralLength() throws SQLException
   {
      return delegate.getMaxCharLiteralLength();
   }

   @Override
   public int getMaxColumnNameLength() throws SQLException
   {
      return delegate.getMaxColumnNameLength();
   }

   @Override
   public int getMaxColumnsInGroupBy() throws SQLException
   {
      return delegate.getMaxColumnsInGroupBy();
   }

   @Override
   public int getMaxColumnsInIndex() throws SQLException
   {
      return delegate.getMaxColumnsInIndex();
   }

   @Override
   public int getMaxColumnsInOrderBy() throws SQLException
   {
      return delegate.getMaxColumnsInOrderBy();
   }

   @Override
   public int getMaxColumnsInSelect() throws SQLException
   {
      return delegate.getMaxColumnsInSelect();
   }

   @Override
   public int getMaxColumnsInTable() throws SQLException
   {
      return delegate.getMaxColumnsInTable();
   }

   @Override
   public int getMaxConnections() throws SQLException
   {
      return delegate.getMaxConnections();
   }

   @Override
   public int getMaxCursorNameLength() throws SQLException
   {
      return delegate.getMaxCursorNameLength();
   }

   @Override
   public int getMaxIndexLength() throws SQLException
   {
      return delegate.getMaxIndexLength();
   }

   @Override
   public long getMaxLogicalLobSize() throws SQLException
   {
      return delegate.getMaxLogicalLobSize();
   }

   @Override
   public int getMaxProcedureNameLength() throws SQLException
   {
      return delegate.getMaxProcedureNameLength();
   }

   @Override
   public int getMaxRowSize() throws SQLException
   {
      return delegate.getMaxRowSize();
   }

   @Override
   public int getMaxSchemaNameLength() throws SQLException
   {
      return delegate.getMaxSchemaNameLength();
   }

   @Override
   public int getMaxStatementLength() throws SQLException
   {
      return delegate.getMaxStatementLength();
   }

   @Override
   public int getMaxStatements() throws SQLException
   {
      return delegate.getMaxStatements();
   }

   @Override
   public int getMaxTableNameLength() throws SQLException
   {
      return delegate.getMaxTableNameLength();
   }

   @Override
   public int getMaxTablesInSelect() throws SQLException
   {
      return delegate.getMaxTablesInSelect();
   }

   @Override
   public int getMaxUserNameLength() throws SQLException
   {
      return delegate.getMaxUserNameLength();
   }

   @Override
   public String getNumericFunctions() throws SQLException
   {
      return delegate.getNumericFunctions();
   }

   @Override
   public ResultSet getPrimaryKeys(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getPrimaryKeys(p1, p2, p3);
   }

   @Override
   public ResultSet getProcedureColumns(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getProcedureColumns(p1, p2, p3, p4);
   }

   @Override
   public String getProcedureTerm() throws SQLException
   {
      return delegate.getProcedureTerm();
   }

   @Override
   public ResultSet getProcedures(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getProcedures(p1, p2, p3);
   }

   @Override
   public ResultSet getPseudoColumns(String p1, String p2, String p3, String p4) throws SQLException
   {
      return delegate.getPseudoColumns(p1, p2, p3, p4);
   }

   @Override
   public int getResultSetHoldability() throws SQLException
   {
      return delegate.getResultSetHoldability();
   }

   @Override
   public RowIdLifetime getRowIdLifetime() throws SQLException
   {
      return delegate.getRowIdLifetime();
   }

   @Override
   public String getSQLKeywords() throws SQLException
   {
      return delegate.getSQLKeywords();
   }

   @Override
   public int getSQLStateType() throws SQLException
   {
      return delegate.getSQLStateType();
   }

   @Override
   public String getSchemaTerm() throws SQLException
   {
      return delegate.getSchemaTerm();
   }

   @Override
   public ResultSet getSchemas() throws SQLException
   {
      return delegate.getSchemas();
   }

   @Override
   public ResultSet getSchemas(String p1, String p2) throws SQLException
   {
      return delegate.getSchemas(p1, p2);
   }

   @Override
   public String getSearchStringEscape() throws SQLException
   {
      return delegate.getSearchStringEscape();
   }

   @Override
   public String getStringFunctions() throws SQLException
   {
      return delegate.getStringFunctions();
   }

   @Override
   public ResultSet getSuperTables(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getSuperTables(p1, p2, p3);
   }

   @Override
   public ResultSet getSuperTypes(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getSuperTypes(p1, p2, p3);
   }

   @Override
   public String getSystemFunctions() throws SQLException
   {
      return delegate.getSystemFunctions();
   }

   @Override
   public ResultSet getTablePrivileges(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getTablePrivileges(p1, p2, p3);
   }

   @Override
   public ResultSet getTableTypes() throws SQLException
   {
      return delegate.getTableTypes();
   }

   @Override
   public ResultSet getTables(String p1, String p2, String p3, String[] p4) throws SQLException
   {
      return delegate.getTables(p1, p2, p3, p4);
   }

   @Override
   public String getTimeDateFunctions() throws SQLException
   {
      return delegate.getTimeDateFunctions();
   }

   @Override
   public ResultSet getTypeInfo() throws SQLException
   {
      return delegate.getTypeInfo();
   }

   @Override
   public ResultSet getUDTs(String p1, String p2, String p3, int[] p4) throws SQLException
   {
      return delegate.getUDTs(p1, p2, p3, p4);
   }

   @Override
   public String getURL() throws SQLException
   {
      return delegate.getURL();
   }

   @Override
   public String getUserName() throws SQLException
   {
      return delegate.getUserName();
   }

   @Override
   public ResultSet getVersionColumns(String p1, String p2, String p3) throws SQLException
   {
      return delegate.getVersionColumns(p1, p2, p3);
   }

   @Override
   public boolean insertsAreDetected(int p1) throws SQLException
   {
      return delegate.insertsAreDetected(p1);
   }

   @Override
   public boolean isCatalogAtStart() throws SQLException
   {
      return delegate.isCatalogAtStart();
   }

   @Override
   public boolean isReadOnly() throws SQLException
   {
      return delegate.isReadOnly();
   }

   @Override
   public boolean locatorsUpdateCopy() throws SQLException
   {
      return delegate.locatorsUpdateCopy();
   }

   @Override
   public boolean nullPlusNonNullIsNull() throws SQLException
   {
      return delegate.nullPlusNonNullIsNull();
   }

   @Override
   public boolean nullsAreSortedAtEnd() throws SQLException
   {
      return delegate.nullsAreSortedAtEnd();
   }

   @Override
   public boolean nullsAreSortedAtStart() throws SQLException
   {
      return delegate.nullsAreSortedAtStart();
   }

   @Override
   public boolean nullsAreSortedHigh() throws SQLException
   {
      return delegate.nullsAreSortedHigh();
   }

   @Override
   public boolean nullsAreSortedLow() throws SQLException
   {
      return delegate.nullsAreSortedLow();
   }

   @Override
   public boolean othersDeletesAreVisible(int p1) throws SQLException
   {
      return delegate.othersDeletesAreVisible(p1);
   }

   @Override
   public boolean othersInsertsAreVisible(int p1) throws SQLException
   {
      return delegate.othersInsertsAreVisible(p1);
   }

   @Override
   public boolean othersUpdatesAreVisible(int p1) throws SQLException
   {
      return delegate.othersUpdatesAreVisible(p1);
   }

   @Override
   public boolean ownDeletesAreVisible(int p1) throws SQLException
   {
      return delegate.ownDeletesAreVisible(p1);
   }

   @Override
   public boolean ownInsertsAreVisible(int p1) throws SQLException
   {
      return delegate.ownInsertsAreVisible(p1);
   }

   @Override
   public boolean ownUpdatesAreVisible(int p1) throws SQLException
   {
      return delegate.ownUpdatesAreVisible(p1);
   }

   @Override
   public boolean storesLowerCaseIdentifiers() throws SQLException
   {
      return delegate.storesLowerCaseIdentifiers();
   }

   @Override
   public boolean storesLowerCaseQuotedIdentifiers() throws SQLException
   {
      return delegate.storesLowerCaseQuotedIdentifiers();
   }

   @Override
   public boolean storesMixedCaseIdentifiers() throws SQLException
   {
      return delegate.storesMixedCaseIdentifiers();
   }

   @Override
   public boolean storesMixedCaseQuotedIdentifiers() throws SQLException
   {
      return delegate.storesMixedCaseQuotedIdentifiers();
   }

   @Override
   public boolean storesUpperCaseIdentifiers() throws SQLException
   {
      return delegate.storesUpperCaseIdentifiers();
   }

   @Override
   public boolean storesUpperCaseQuotedIdentifiers() throws SQLException
   {
      return delegate.storesUpperCaseQuotedIdentifiers();
   }

   @Override
   public boolean supportsANSI92EntryLevelSQL() throws SQLException
   {
      return delegate.supportsANSI92EntryLevelSQL();
   }

   @Override
   public boolean supportsANSI92FullSQL() throws SQLException
   {
      return delegate.supportsANSI92FullSQL();
   }

   @Override
   public boolean supportsANSI92IntermediateSQL() throws SQLException
   {
      return delegate.supportsANSI92IntermediateSQL();
   }

   @Override
   public boolean supportsAlterTableWithAddColumn() throws SQLException
   {
      return delegate.supportsAlterTableWithAddColumn();
   }

   @Override
   public boolean supportsAlterTableWithDropColumn() throws SQLException
   {
      return delegate.supportsAlterTableWithDropColumn();
   }

   @Override
   public boolean supportsBatchUpdates() throws SQLException
   {
      return delegate.supportsBatchUpdates();
   }

   @Override
   public boolean supportsCatalogsInDataManipulation() throws SQLException
   {
      return delegate.supportsCatalogsInDataManipulation();
   }

   @Override
   public boolean supportsCatalogsInIndexDefinitions() throws SQLException
   {
      return delegate.supportsCatalogsInIndexDefinitions();
   }

   @Override
   public boolean supportsCatalogsInPrivilegeDefinitions() throws SQLException
   {
      return delegate.supportsCatalogsInPrivilegeDefinitions();
   }

   @Override
   public boolean supportsCatalogsInProcedureCalls() throws SQLException
   {
      return delegate.supportsCatalogsInProcedureCalls();
   }

   @Override
   public boolean supportsCatalogsInTableDefinitions() throws SQLException
   {
      return delegate.supportsCatalogsInTableDefinitions();
   }

   @Override
   public boolean supportsColumnAliasing() throws SQLException
   {
      return delegate.supportsColumnAliasing();
   }

   @Override
   public boolean supportsConvert() throws SQLException
   {
      return delegate.supportsConvert();
   }

   @Override
   public boolean supportsConvert(int p1, int p2) throws SQLException
   {
      return delegate.supportsConvert(p1, p2);
   }

   @Override
   public boolean supportsCoreSQLGrammar() throws SQLException
   {
      return delegate.supportsCoreSQLGrammar();
   }

   @Override
   public boolean supportsCorrelatedSubqueries() throws SQLException
   {
      return delegate.supportsCorrelatedSubqueries();
   }

   @Override
   public boolean supportsDataDefinitionAndDataManipulationTransactions() throws SQLException
   {
      return delegate.supportsDataDefinitionAndDataManipulationTransactions();
   }

   @Override
   public boolean supportsDataManipulationTransactionsOnly() throws SQLException
   {
      return delegate.supportsDataManipulationTransactionsOnly();
   }

   @Override
   public boolean supportsDifferentTableCorrelationNames() throws SQLException
   {
      return delegate.supportsDifferentTableCorrelationNames();
   }

   @Override
   public boolean supportsExpressionsInOrderBy() throws SQLException
   {
      return delegate.supportsExpressionsInOrderBy();
   }

   @Override
   public boolean supportsExtendedSQLGrammar() throws SQLException
   {
      return delegate.supportsExtendedSQLGrammar();
   }

   @Override
   public boolean supportsFullOuterJoins() throws SQLException
   {
      return delegate.supportsFullOuterJoins();
   }

   @Override
   public boolean supportsGetGeneratedKeys() throws SQLException
   {
      return delegate.supportsGetGeneratedKeys();
   }

   @Override
   public boolean supportsGroupBy() throws SQLException
   {
      return delegate.supportsGroupBy();
   }

   @Override
   public boolean supportsGroupByBeyondSelect() throws SQLException
   {
      return delegate.supportsGroupByBeyondSelect();
   }

   @Override
   public boolean supportsGroupByUnrelated() throws SQLException
   {
      return delegate.supportsGroupByUnrelated();
   }

   @Override
   public boolean supportsIntegrityEnhancementFacility() throws SQLException
   {
      return delegate.supportsIntegrityEnhancementFacility();
   }

   @Override
   public boolean supportsLikeEscapeClause() throws SQLException
   {
      return delegate.supportsLikeEscapeClause();
   }

   @Override
   public boolean supportsLimitedOuterJoins() throws SQLException
   {
      return delegate.supportsLimitedOuterJoins();
   }

   @Override
   public boolean supportsMinimumSQLGrammar() throws SQLException
   {
      return delegate.supportsMinimumSQLGrammar();
   }

   @Override
   public boolean supportsMixedCaseIdentifiers() throws SQLException
   {
      return delegate.supportsMixedCaseIdentifiers();
   }

   @Override
   public boolean supportsMixedCaseQuotedIdentifiers() throws SQLException
   {
      return delegate.supportsMixedCaseQuotedIdentifiers();
   }

   @Override
   public boolean supportsMultipleOpenResults() throws SQLException
   {
      return delegate.supportsMultipleOpenResults();
   }

   @Override
   public boolean supportsMultipleResultSets() throws SQLException
   {
      return delegate.supportsMultipleResultSets();
   }

   @Override
   public boolean supportsMultipleTransactions() throws SQLException
   {
      return delegate.supportsMultipleTransactions();
   }

   @Override
   public boolean supportsNamedParameters() throws SQLException
   {
      return delegate.supportsNamedParameters();
   }

   @Override
   public boolean supportsNonNullableColumns() throws SQLException
   {
      return delegate.supportsNonNullableColumns();
   }

   @Override
   public boolean supportsOpenCursorsAcrossCommit() throws SQLException
   {
      return delegate.supportsOpenCursorsAcrossCommit();
   }

   @Override
   public boolean supportsOpenCursorsAcrossRollback() throws SQLException
   {
      return delegate.supportsOpenCursorsAcrossRollback();
   }

   @Override
   public boolean supportsOpenStatementsAcrossCommit() throws SQLException
   {
      return delegate.supportsOpenStatementsAcrossCommit();
   }

   @Override
   public boolean supportsOpenStatementsAcrossRollback() throws SQLException
   {
      return delegate.supportsOpenStatementsAcrossRollback();
   }

   @Override
   public boolean supportsOrderByUnrelated() throws SQLException
   {
      return delegate.supportsOrderByUnrelated();
   }

   @Override
   public boolean supportsOuterJoins() throws SQLException
   {
      return delegate.supportsOuterJoins();
   }

   @Override
   public boolean supportsPositionedDelete() throws SQLException
   {
      return delegate.supportsPositionedDelete();
   }

   @Override
   public boolean supportsPositionedUpdate() throws SQLException
   {
      return delegate.supportsPositionedUpdate();
   }

   @Override
   public boolean supportsRefCursors() throws SQLException
   {
      return delegate.supportsRefCursors();
   }

   @Override
   public boolean supportsResultSetConcurrency(int p1, int p2) throws SQLException
   {
      return delegate.supportsResultSetConcurrency(p1, p2);
   }

   @Override
   public boolean supportsResultSetHoldability(int p1) throws SQLException
   {
      return delegate.supportsResultSetHoldability(p1);
   }

   @Override
   public boolean supportsResultSetType(int p1) throws SQLException
   {
      return delegate.supportsResultSetType(p1);
   }

   @Override
   public boolean supportsSavepoints() throws SQLException
   {
      return delegate.supportsSavepoints();
   }

   @Override
   public boolean supportsSchemasInDataManipulation() throws SQLException
   {
      return delegate.supportsSchemasInDataManipulation();
   }

   @Override
   public boolean supportsSchemasInIndexDefinitions() throws SQLException
   {
      return delegate.supportsSchemasInIndexDefinitions();
   }

   @Override
   public boolean supportsSchemasInPrivilegeDefinitions() throws SQLException
   {
      return delegate.supportsSchemasInPrivilegeDefinitions();
   }

   @Override
   public boolean supportsSchemasInProcedureCalls() throws SQLException
   {
      return delegate.supportsSchemasInProcedureCalls();
   }

   @Override
   public boolean supportsSchemasInTableDefinitions() throws SQLException
   {
      return delegate.supportsSchemasInTableDefinitions();
   }

   @Override
   public boolean supportsSelectForUpdate() throws SQLException
   {
      return delegate.supportsSelectForUpdate();
   }

   @Override
   public boolean supportsSharding() throws SQLException
   {
      return delegate.supportsSharding();
   }

   @Override
   public boolean supportsStatementPooling() throws SQLException
   {
      return delegate.supportsStatementPooling();
   }

   @Override
   public boolean supportsStoredFunctionsUsingCallSyntax() throws SQLException
   {
      return delegate.supportsStoredFunctionsUsingCallSyntax();
   }

   @Override
   public boolean supportsStoredProcedures() throws SQLException
   {
      return delegate.supportsStoredProcedures();
   }

   @Override
   public boolean supportsSubqueriesInComparisons() throws SQLException
   {
      return delegate.supportsSubqueriesInComparisons();
   }

   @Override
   public boolean supportsSubqueriesInExists() throws SQLException
   {
      return delegate.supportsSubqueriesInExists();
   }

   @Override
   public boolean supportsSubqueriesInIns() throws SQLException
   {
      return delegate.supportsSubqueriesInIns();
   }

   @Override
   public boolean supportsSubqueriesInQuantifieds() throws SQLException
   {
      return delegate.supportsSubqueriesInQuantifieds();
   }

   @Override
   public boolean supportsTableCorrelationNames() throws SQLException
   {
      return delegate.supportsTableCorrelationNames();
   }

   @Override
   public boolean supportsTransactionIsolationLevel(int p1) throws SQLException
   {
      return delegate.supportsTransactionIsolationLevel(p1);
   }

   @Override
   public boolean supportsTransactions() throws SQLException
   {
      return delegate.supportsTransactions();
   }

   @Override
   public boolean supportsUnion() throws SQLException
   {
      return delegate.supportsUnion();
   }

   @Override
   public boolean supportsUnionAll() throws SQLException
   {
      return delegate.supportsUnionAll();
   }

   @Override
   public boolean updatesAreDetected(int p1) throws SQLException
   {
      return delegate.updatesAreDetected(p1);
   }

   @Override
   public boolean usesLocalFilePerTable() throws SQLException
   {
      return delegate.usesLocalFilePerTable();
   }

   @Override
   public boolean usesLocalFiles() throws SQLException
   {
      return delegate.usesLocalFiles();
   }
}
