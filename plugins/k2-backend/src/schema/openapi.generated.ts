// Generated from openapi.yaml by scripts/openapi.mjs; do not edit.

export const spec = {
  "openapi": "3.0.3",
  "info": {
    "title": "k2",
    "version": "1",
    "description": "K2's core backend: the activity log every K2 capability writes to, and the health of K2's cluster connections."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "paths": {
    "/activity": {
      "post": {
        "operationId": "RecordActivity",
        "summary": "Records one entry of a service's activity log.",
        "description": "For K2's capability plugins only (service-to-service credentials of a plugin whose id starts with `k2`); people cannot write the activity log.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NewActivity"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Recorded."
          },
          "400": {
            "$ref": "#/components/responses/Error"
          },
          "403": {
            "$ref": "#/components/responses/Error"
          }
        }
      }
    },
    "/services/{namespace}/{name}/activity": {
      "get": {
        "operationId": "ListActivity",
        "summary": "A service's activity log, newest first.",
        "parameters": [
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100,
              "default": 20
            }
          },
          {
            "name": "before",
            "in": "query",
            "description": "The `nextCursor` of the previous page.",
            "schema": {
              "type": "string",
              "pattern": "^[1-9][0-9]{0,18}$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of entries.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ActivityList"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/Error"
          },
          "403": {
            "$ref": "#/components/responses/Error"
          }
        }
      }
    },
    "/clusters": {
      "get": {
        "operationId": "ListClusters",
        "summary": "Health of every cluster's watch cache.",
        "responses": {
          "200": {
            "description": "One entry per cluster.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ClusterHealth"
                      }
                    }
                  }
                }
              }
            }
          },
          "403": {
            "$ref": "#/components/responses/Error"
          }
        }
      }
    }
  },
  "components": {
    "parameters": {
      "namespace": {
        "name": "namespace",
        "in": "path",
        "required": true,
        "schema": {
          "$ref": "#/components/schemas/EntityName"
        }
      },
      "name": {
        "name": "name",
        "in": "path",
        "required": true,
        "schema": {
          "$ref": "#/components/schemas/EntityName"
        }
      }
    },
    "responses": {
      "Error": {
        "description": "A Backstage error body.",
        "content": {
          "application/json": {
            "schema": {
              "type": "object",
              "properties": {
                "error": {
                  "type": "object",
                  "properties": {
                    "name": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "schemas": {
      "EntityName": {
        "type": "string",
        "pattern": "^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
      },
      "NewActivity": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "service",
          "actor",
          "action",
          "summary",
          "result"
        ],
        "properties": {
          "service": {
            "type": "string",
            "pattern": "^[a-z][-a-z0-9]*:[a-zA-Z0-9][-_.a-zA-Z0-9]*/[a-zA-Z0-9][-_.a-zA-Z0-9]*$",
            "maxLength": 255
          },
          "environment": {
            "type": "string",
            "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
          },
          "actor": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255
          },
          "action": {
            "type": "string",
            "pattern": "^[a-z][-a-z0-9.]{0,62}$"
          },
          "summary": {
            "type": "string",
            "maxLength": 2000
          },
          "result": {
            "type": "string",
            "enum": [
              "succeeded",
              "failed"
            ]
          },
          "releaseId": {
            "type": "string",
            "maxLength": 64
          }
        }
      },
      "Activity": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "service",
          "actor",
          "action",
          "summary",
          "result",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "service": {
            "type": "string"
          },
          "environment": {
            "type": "string"
          },
          "actor": {
            "type": "string"
          },
          "action": {
            "type": "string"
          },
          "summary": {
            "type": "string"
          },
          "result": {
            "type": "string",
            "enum": [
              "succeeded",
              "failed"
            ]
          },
          "releaseId": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "ActivityList": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Activity"
            }
          },
          "nextCursor": {
            "type": "string"
          }
        }
      },
      "ClusterHealth": {
        "type": "object",
        "required": [
          "cluster",
          "status",
          "stale"
        ],
        "properties": {
          "cluster": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "syncing",
              "ok",
              "degraded"
            ]
          },
          "stale": {
            "type": "boolean"
          },
          "syncedAt": {
            "type": "string"
          },
          "lastEventAt": {
            "type": "string"
          }
        },
        "additionalProperties": true
      }
    }
  }
} as const;
