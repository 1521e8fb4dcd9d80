"""Local HTTP stand-ins for servers the tests cannot run (Elasticsearch, Druid, Kakao), speaking their wire formats."""
