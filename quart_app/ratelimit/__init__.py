"""Rate limits: kept in this process (``local``), or shared by every process of every
instance through Redis (``shared``)."""
