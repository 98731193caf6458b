"""The teacher's tools: coursework, its sandboxed marking, publishing."""
