"""The warehouse: tables and migrations, the validated idempotent sink, the custody audit.

Entry points: ``sinks.writer.WarehouseSink``, ``sinks.migrate.upgrade``,
``sinks.audit.verify_chain``, ``sinks.engine.make_engine`` (see docs/warehouse.md).
"""
